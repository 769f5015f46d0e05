//! The control socket: `<data>/dukan.sock`, a Unix socket only the server's OS user can open.
//! While the server runs it holds redb's exclusive lock, so `dukan backup` and `dukan check`
//! ask the running server through this socket instead of opening the file themselves (the
//! line protocol itself, `listen` and `request_at`, is `relay::control`'s, shared with the relay).
//!
//! Protocol: one request line, one reply line. `backup <absolute path>` → `ok <bytes> <rows>`;
//! `check` → `ok 0` or `problems <n>` followed by one line per problem; errors → `err <text>`.
//! `dukan import`: `import-preview <who> <absolute path>` → `ok <id> <rows> <new> <updates>
//! <errors>` then one line per row problem; `import-confirm <who> <id> <skip 0|1>` → `ok <id>`;
//! `import-status <who> <id>` → `ok <state> <applied> <rows> <created> <updated> <failed>`
//! (`who`: a company id or a user's e-mail, without spaces).

use std::path::{Path, PathBuf};

use crate::app::App;

pub fn socket_path(data: &Path) -> PathBuf {
    data.join("dukan.sock")
}

#[cfg(unix)]
pub async fn serve(app: App) -> std::io::Result<()> {
    let path = socket_path(&app.config.data);
    crate::relay::control::listen(&path, move |line| {
        let app = app.clone();
        async move { handle(&app, &line).await }
    })?;
    Ok(())
}

#[cfg(not(unix))]
pub async fn serve(_app: App) -> std::io::Result<()> {
    Ok(())
}

async fn handle(app: &App, line: &str) -> String {
    let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
    match cmd {
        "backup" => {
            let out = PathBuf::from(arg);
            let a = app.clone();
            match tokio::task::spawn_blocking(move || crate::backup::take(&a.db, &a.schema, &out)).await {
                Ok(Ok(v)) => format!("ok {} {}\n", v.bytes, v.rows),
                Ok(Err(e)) => format!("err {e}\n"),
                Err(e) => format!("err {e}\n"),
            }
        }
        // Off the runtime: a check of a large file takes seconds, and a runtime thread it held
        // would stall the requests queued on it (a /healthz waited 8 s).
        "check" => {
            let db = app.db.clone();
            let checked = tokio::task::spawn_blocking(move || {
                let problems = crate::check::run(&db);
                crate::release_memory();
                problems
            })
            .await;
            match checked {
                Ok(Ok(p)) if p.is_empty() => "ok 0\n".to_string(),
                Ok(Ok(p)) => format!("problems {}\n{}\n", p.len(), p.join("\n")),
                Ok(Err(e)) => format!("err {e}\n"),
                Err(e) => format!("err {e}\n"),
            }
        }
        "import-preview" | "import-confirm" | "import-status" => {
            let (a, cmd, arg) = (app.clone(), cmd.to_string(), arg.to_string());
            // A confirmed import's outbox row wakes the import worker by itself.
            match tokio::task::spawn_blocking(move || import_command(&a, &cmd, &arg)).await {
                Ok(reply) => reply,
                Err(e) => format!("err {e}\n"),
            }
        }
        _ => "err unknown command\n".to_string(),
    }
}

fn import_command(app: &App, cmd: &str, arg: &str) -> String {
    use crate::transfer::cli;
    let (who, rest) = arg.split_once(' ').unwrap_or((arg, ""));
    let now = app.clock.now();
    let id = |s: &str| s.trim().parse::<u64>().map(crate::ids::ImportId).map_err(|_| crate::error::Error::NotFound);
    let describe = |e: crate::error::Error| {
        let mut s = e.message(crate::i18n::Lang::En);
        for f in e.fields() {
            s.push_str(&format!("; {}", f.message(crate::i18n::Lang::En)));
        }
        format!("err {s}\n")
    };
    let reply = match cmd {
        "import-preview" => cli::preview(&app.db, who, std::path::Path::new(rest), now).and_then(|i| {
            let problems = cli::problems(&app.db.read()?, company_of(app, who, now)?, i.id, crate::i18n::Lang::En)?;
            Ok(format!("ok {} {} {} {} {}\n{}", i.id, i.rows, i.new, i.updates, i.errors, problems.join("\n")))
        }),
        "import-confirm" => {
            let (import, skip) = rest.split_once(' ').unwrap_or((rest, "0"));
            id(import).and_then(|i| cli::confirm(&app.db, who, i, skip.trim() == "1", now)).map(|i| format!("ok {}\n", i.id))
        }
        _ => id(rest).and_then(|i| cli::status(&app.db, who, i, now)).map(|i| {
            format!("ok {} {} {} {} {} {}\n", i.state.code(), i.next_row, i.rows, i.created_count, i.updated_count, i.failed_count)
        }),
    };
    reply.unwrap_or_else(describe)
}

fn company_of(app: &App, who: &str, now: crate::clock::Ts) -> crate::error::Result<crate::ids::CompanyId> {
    Ok(crate::transfer::cli::actor(&app.db.read()?, who, now)?.company)
}

/// Sends one request to a running server; `None` when no server listens.
pub fn request(data: &Path, line: &str) -> Option<std::io::Result<String>> {
    crate::relay::control::request_at(&socket_path(data), line)
}
