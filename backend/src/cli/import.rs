//! `intake import`: a file spooled, its import created and queued (and followed with
//! `--wait`), under the API's rules for names and settings.

use super::*;

pub(super) async fn import(args: ImportArgs) -> anyhow::Result<()> {
    // The API's rule for a group name, before anything is opened or stored.
    let group = rules::group_name(&args.group).map_err(|e| refused("--group", e))?;
    let map_file = match &args.value_map {
        None => None,
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?,
        ),
    };
    let values = values::value_map(
        map_file.as_deref(),
        &args.consent_values,
        &args.group_values,
    )
    .map_err(anyhow::Error::msg)?;
    let storage = storage::connect(args.db.database_url.as_str()).await?;
    let mut settings = read_settings(args.encoding, args.delimiter.as_deref(), args.header)?;
    if let Some(name) = &args.profile {
        let profile = storage
            .profile_by_name(name)
            .await?
            .ok_or_else(|| anyhow::anyhow!("there is no mapping profile named \"{name}\""))?;
        settings.mapping_by_name = Some(profile.mapping);
    }
    settings.values = values;
    // The file first: a file that cannot be read creates no group.
    let source = tokio::fs::File::open(&args.file)
        .await
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let dest = ingest::spool_upload(
        &args.db.data_dir,
        // Pieces of 1 MiB: a big file is copied in few writes.
        &mut tokio_util::io::ReaderStream::with_capacity(source, 1 << 20),
        SpoolLimits::local(),
    )
    .await?;
    // A workbook's sheet becomes CSV text here, as in the API's raw upload.
    let ingest::Spooled {
        path: dest,
        settings,
        ..
    } = ingest::convert_spooled(dest, settings, args.sheet).await?;
    let group_id = match find_group(storage.as_ref(), group).await {
        Ok(Some(g)) => g.id,
        Ok(None) if args.dry_run => {
            ingest::spool::discard(&dest).await;
            anyhow::bail!(
                "there is no group \"{group}\" (a dry run creates none): create it first"
            );
        }
        Ok(None) => match storage.create_group(group).await {
            Ok(g) => g.id,
            Err(e) => {
                ingest::spool::discard(&dest).await;
                return Err(e.into());
            }
        },
        Err(e) => {
            ingest::spool::discard(&dest).await;
            return Err(e);
        }
    };
    // The API's rule for names; a file named otherwise is listed as `import.csv`.
    let file_name = args
        .file
        .file_name()
        .and_then(|n| ingest::file_name(&n.to_string_lossy()).ok())
        .unwrap_or_else(|| "import.csv".into());
    let import = match storage
        .create_import_by(
            &file_name,
            group_id,
            args.on_duplicate.into(),
            &settings.to_stored(),
            Some(dest.to_string_lossy().as_ref()).filter(|_| !args.dry_run),
            if args.dry_run {
                ImportStatus::Receiving
            } else {
                ImportStatus::Queued
            },
            Some("cli"),
        )
        .await
    {
        Ok(import) => import,
        Err(e) => {
            ingest::spool::discard(&dest).await;
            return Err(e.into());
        }
    };
    if args.dry_run {
        let report = super::dry_run::dry_run(storage.as_ref(), &import, &dest, &settings).await;
        ingest::spool::discard(&dest).await;
        return report;
    }
    println!("queued import {}", import.id);
    if args.wait {
        wait_for(storage.as_ref(), import.id).await?;
    }
    Ok(())
}

async fn wait_for(storage: &dyn Storage, id: i64) -> anyhow::Result<()> {
    loop {
        let i = storage.get_import(id).await?;
        let c = i.counts;
        eprintln!(
            "{}: {}/{} processed, {} created, {} updated, {} skipped, {} failed",
            i.status.as_str(),
            c.processed,
            c.received,
            c.created,
            c.updated,
            c.skipped,
            c.failed
        );
        if i.status.is_final() {
            anyhow::ensure!(
                i.status == ImportStatus::Completed,
                "import {id} ended {}: {}",
                i.status.as_str(),
                i.error.unwrap_or_default()
            );
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
