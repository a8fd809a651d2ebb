//! The signature of a delivery, as Stripe signs its webhooks: the header
//! `Intake-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, the key
//! being the endpoint's secret as its UTF-8 bytes. A receiver recomputes it, compares in
//! constant time and refuses a `t` more than [`REPLAY_WINDOW_SECS`] away from its clock
//! (docs/api.md has the recipe).

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "Intake-Signature";
/// How far from a receiver's clock a signature's `t` may be (documented; receivers enforce).
pub const REPLAY_WINDOW_SECS: i64 = 300;

/// The `Intake-Signature` value for `body` sent at `t`.
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any size");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// A new endpoint's secret (`whsec_` and 32 random bytes).
pub fn new_secret() -> String {
    format!("whsec_{}", crate::auth::random_token(32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body_in_hex() {
        // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            signature("whsec_test", 1_700_000_000, br#"{"a":1}"#),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }
}
