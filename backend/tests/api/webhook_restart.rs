//! A webhook delivery survives a restart between its attempts: the real `intake` binary,
//! killed with SIGKILL after a failed attempt was logged, retries after it starts again.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::process::{Client, Server, create_token};
use crate::support::databases;
use crate::webhooks::{receiver, verify};

async fn deliveries(client: &Client, hook: i64) -> Vec<Value> {
    client
        .get(&format!("/api/webhooks/{hook}/deliveries"))
        .await
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_restart_between_attempts_loses_no_delivery() {
    let dir = tempfile::tempdir().unwrap();
    for (n, db) in databases("webhooks_restart", dir.path())
        .await
        .into_iter()
        .enumerate()
    {
        let data = dir.path().join(format!("data-{n}"));
        std::fs::create_dir_all(&data).unwrap();
        let flags = [
            "--allow-private-webhooks",
            "--webhook-retry-base-ms",
            "2500",
        ];
        let mut server = Server::start(&db, &data, "hooks-first", &flags);
        let client = Client::new(&server, &create_token(&db, "hooks"));
        let (url, received) = receiver(vec![500]).await;
        let (status, created) = client
            .send(
                reqwest::Method::POST,
                "/api/webhooks",
                Some(json!({"url": url, "events": ["import.completed"]})),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let hook = created["webhook"]["id"].as_i64().unwrap();
        let secret = created["secret"].as_str().unwrap().to_owned();
        let id = client
            .import(&[json!([{"line": 2, "email": "restart@example.com"}])])
            .await;
        client.wait_for(id, 60).await;

        // The first attempt failed and is logged: the retry is due in 2.5 s. Kill now.
        let start = Instant::now();
        loop {
            let log = deliveries(&client, hook).await;
            if log.len() == 1 && log[0]["attempts"].as_array().unwrap().len() == 1 {
                assert_eq!(log[0]["status"], "pending");
                assert_eq!(log[0]["attempts"][0]["status_code"], 500);
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no first attempt: {log:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.kill();
        assert_eq!(received.count(), 1);

        let server = Server::start(&db, &data, "hooks-second", &flags);
        let client = Client::new(&server, &client.token);
        let start = Instant::now();
        let log = loop {
            let log = deliveries(&client, hook).await;
            if log[0]["status"] == "delivered" {
                break log;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "not delivered: {log:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(log.len(), 1);
        let codes: Vec<&Value> = log[0]["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| &a["status_code"])
            .collect();
        assert_eq!(codes, vec![&json!(500), &json!(200)]);
        let got = received.all();
        assert_eq!(got.len(), 2, "one retry after the restart, no more");
        let (headers, body) = &got[1];
        verify(&secret, headers["intake-signature"].to_str().unwrap(), body).unwrap();
    }
}
