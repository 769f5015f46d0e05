//! The `dukan` executable: parses the command line and configuration, then serves or runs one
//! maintenance command. Everything else lives in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use dukan::app::App;
use dukan::clock::{Clock, SystemClock};
use dukan::config::Config;

/// mimalloc instead of glibc malloc: the write path allocates many small, short-lived buffers
/// (decoded rows, encoded values), where glibc spent a tenth of the checkout CPU.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "dukan", version, about = "Dukan — a one-file business appliance: POS, stock, CRM and telecom for many companies")]
struct Cli {
    /// Configuration file (default: <data>/dukan.toml).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long, global = true)]
    log_format: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default when no command is given).
    Serve {
        /// Data directory (default ./dukan-data, or DUKAN_DATA).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Address to listen on (default 0.0.0.0:8080, or DUKAN_LISTEN).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Write a verified backup of the data file (works while the server runs).
    Backup {
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Replace the data file with a backup (stop the server first). The old file is kept aside.
    Restore {
        #[arg(long)]
        data: Option<PathBuf>,
        file: PathBuf,
    },
    /// Recompute every index and projection and list every mismatch (exit code 1 on any).
    Check {
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Rebuild the product search indexes from the data file (stop the server first; it also
    /// rebuilds missing or outdated indexes by itself on start).
    Reindex {
        #[arg(long)]
        data: Option<PathBuf>,
        /// Only this company (default: every company).
        #[arg(long)]
        company: Option<u64>,
    },
    /// Import products from a CSV, XLSX, XLS or ODS file (through the running server when
    /// there is one). Every row's problems are listed; a file with problems is not imported
    /// unless --skip-invalid.
    Import {
        #[arg(long)]
        data: Option<PathBuf>,
        /// The company's id (acts as its owner) or the e-mail of one of its users.
        #[arg(long)]
        company: String,
        /// Only check the file and list its problems.
        #[arg(long)]
        dry_run: bool,
        /// Import the rows without problems and skip the others.
        #[arg(long)]
        skip_invalid: bool,
        file: PathBuf,
    },
    /// Manage companies from scripts.
    Company {
        #[command(subcommand)]
        action: CompanyAction,
    },
    /// Create a demo company with a Russian-language catalogue, warehouses and stock documents;
    /// prints its owner's login.
    Demo {
        #[arg(long)]
        data: Option<PathBuf>,
        /// small: one shop; large: 300,000 products and 20 companies (the benchmark dataset).
        #[arg(long, default_value = "small")]
        size: String,
    },
    /// Run the public relay for Meta's webhooks (on a server Meta can reach), or manage the
    /// boxes registered with it (through the running relay's control socket, at once; or in
    /// its file when it is stopped).
    Relay {
        /// The relay's own data file (created if missing; never a box's data file).
        #[arg(long)]
        data: PathBuf,
        /// Address to listen on (default 127.0.0.1:8090, behind a TLS proxy).
        #[arg(long)]
        listen: Option<String>,
        /// Register a box: prints its id, its token (shown once) and Meta's callback path.
        #[arg(long, value_name = "NAME")]
        add_box: Option<String>,
        /// Give a box a new token (the old one is refused from then on).
        #[arg(long, value_name = "BOX_ID")]
        rotate_box: Option<u64>,
        /// List the registered boxes and their queue depths.
        #[arg(long)]
        list_boxes: bool,
    },
    /// Fill a data file with synthetic records for benchmarks (companies, users, audit rows).
    BenchSeed {
        #[arg(long)]
        data: Option<PathBuf>,
        /// Total records to add.
        #[arg(long, default_value_t = 1_000_000)]
        records: u64,
        #[arg(long, default_value_t = 20)]
        companies: u64,
    },
}

#[derive(Subcommand)]
enum CompanyAction {
    /// Create a company with its owner; prints the company id.
    Create {
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long)]
        name: String,
        /// KG or RU
        #[arg(long)]
        country: String,
        #[arg(long)]
        owner_email: String,
        #[arg(long)]
        owner_password: String,
        #[arg(long, default_value = "Владелец")]
        owner_name: String,
    },
}

fn main() -> ExitCode {
    // Whatever the process creates — data file, backups, key, search index, whichever library
    // creates it — is for its own OS user only (files 0600, directories 0700).
    #[cfg(target_os = "linux")]
    // SAFETY: umask only sets the process's file mode creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
    let cli = Cli::parse();
    let data = match &cli.command {
        None => None,
        Some(Command::Serve { data, .. })
        | Some(Command::Backup { data, .. })
        | Some(Command::Restore { data, .. })
        | Some(Command::Check { data })
        | Some(Command::Reindex { data, .. })
        | Some(Command::Import { data, .. })
        | Some(Command::BenchSeed { data, .. })
        | Some(Command::Demo { data, .. })
        | Some(Command::Company { action: CompanyAction::Create { data, .. } }) => data.clone(),
        Some(Command::Relay { .. }) => None,
    };
    let mut config = match Config::load(data.as_deref(), cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(f) = &cli.log_format {
        config.log_format = f.clone();
    }
    init_logging(&config.log_format);
    let result = match cli.command {
        None => serve(config, None),
        Some(Command::Serve { listen, .. }) => serve(config, listen),
        Some(Command::Backup { out, .. }) => backup(&config, &out),
        Some(Command::Restore { file, .. }) => restore(&config, &file),
        Some(Command::Check { .. }) => return check(config),
        Some(Command::Reindex { company, .. }) => reindex(&config, company),
        Some(Command::Import { company, dry_run, skip_invalid, file, .. }) => import(&config, &company, &file, dry_run, skip_invalid),
        Some(Command::Company { action: CompanyAction::Create { name, country, owner_email, owner_password, owner_name, .. } }) => {
            company_create(config, name, country, owner_email, owner_password, owner_name)
        }
        Some(Command::BenchSeed { records, companies, .. }) => bench_seed(config, records, companies),
        Some(Command::Demo { size, .. }) => demo(config, &size),
        Some(Command::Relay { data, listen, add_box, rotate_box, list_boxes }) => relay(&data, listen, add_box, rotate_box, list_boxes),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.trim().is_empty() => {
            eprintln!("error: the command failed without a message (exit code 1)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// An error with every cause under it: `message: cause: cause…`, leaving out a cause whose
/// text the message already quotes.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

/// The log goes to stderr (text or JSON); its warnings and errors are also kept in the
/// recent-errors ring the operations page shows (`errlog`).
fn init_logging(format: &str) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_env("DUKAN_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter).with(dukan::errlog::Layer);
    if format == "json" {
        registry.with(tracing_subscriber::fmt::layer().json().with_writer(std::io::stderr)).init();
    } else {
        registry.with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr)).init();
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_start(dukan::storage::yield_cpu_to_writer)
        .build()
        .map_err(|e| e.to_string())
}

fn serve(mut config: Config, listen: Option<String>) -> Result<(), String> {
    if let Some(l) = listen {
        config.listen = l.parse().map_err(|_| format!("--listen: cannot parse {l:?} (expected ip:port)"))?;
    }
    let rt = runtime()?;
    let served = rt.block_on(async move {
        // Every connection is a file descriptor: take the hard limit, not the soft default.
        match dukan::http::server::raise_fd_limit() {
            Some((before, after)) => tracing::info!(before, after, "open file limit"),
            None => tracing::warn!("open file limit unknown"),
        }
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let app = App::open(config, clock).map_err(|e| chain(&e))?;
        let listener =
            tokio::net::TcpListener::bind(app.config.listen).await.map_err(|e| format!("cannot listen on {}: {e}", app.config.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        dukan::control::serve(app.clone()).await.map_err(|e| format!("control socket: {e}"))?;
        dukan::workers::start(app.clone().into());
        let _relay_link = app.start_relay_link();
        print_urls(&app, addr);
        let db = app.db.clone();
        tokio::select! {
            served = dukan::http::serve(app, listener, shutdown_signal()) => served.map_err(|e| e.to_string()),
            why = storage_failed(db) => Err(why),
        }
    });
    // A backup or a blocking write may still be running; do not wait on it forever.
    rt.shutdown_timeout(std::time::Duration::from_secs(5));
    served
}

/// `dukan relay`: serves the relay, or registers, rotates or lists boxes — through the running
/// relay's control socket when it runs (the change takes effect at once), else in its file.
fn relay(data: &Path, listen: Option<String>, add_box: Option<String>, rotate_box: Option<u64>, list_boxes: bool) -> Result<(), String> {
    use dukan::relay::{control, server::Relay};
    let line = match (&add_box, rotate_box, list_boxes) {
        (Some(name), _, _) => Some(format!("add-box {}", name.replace(['\r', '\n'], " "))),
        (None, Some(id), _) => Some(format!("rotate-box {id}")),
        (None, None, true) => Some("list-boxes".to_string()),
        _ => None,
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let rt = runtime()?;
    rt.block_on(async move {
        if let Some(line) = line {
            let reply = match control::request(data, &line) {
                Some(reply) => reply.map_err(|e| format!("talking to the running relay: {e}"))?,
                None => {
                    let relay = Relay::open(data, clock).map_err(|e| format!("{}: {}", data.display(), chain(&e)))?;
                    control::handle(&relay, &line).await
                }
            };
            return print_relay_reply(&line, &reply);
        }
        let relay = Arc::new(Relay::open(data, clock).map_err(|e| format!("{}: {}", data.display(), chain(&e)))?);
        let addr = listen.unwrap_or_else(|| "127.0.0.1:8090".into());
        let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let socket = control::socket_path(data);
        control::serve(relay.clone(), &socket).map_err(|e| format!("{}: {e}", socket.display()))?;
        println!("Dukan relay {} listening on http://{}", env!("CARGO_PKG_VERSION"), listener.local_addr().map_err(|e| e.to_string())?);
        let served = dukan::http::relay::serve(relay, listener, shutdown_signal()).await.map_err(|e| e.to_string());
        let _ = std::fs::remove_file(&socket);
        served
    })
}

/// Prints a relay control reply as the command line shows it.
fn print_relay_reply(line: &str, reply: &str) -> Result<(), String> {
    let mut lines = reply.lines();
    let head = lines.next().unwrap_or("");
    let Some(rest) = head.strip_prefix("ok ") else {
        return Err(head.trim_start_matches("err ").to_string());
    };
    if line == "list-boxes" {
        for l in lines {
            println!("{l}");
        }
        return Ok(());
    }
    let (id, token) = rest.split_once(' ').ok_or(format!("unexpected reply: {head}"))?;
    println!("box: {id}");
    println!("token: {token}");
    if line.starts_with("add-box") {
        let id: u64 = id.parse().map_err(|_| format!("unexpected reply: {head}"))?;
        println!("Meta callback URL: https://<this relay>{}", dukan::relay::hook_path(id, 0, 0).replace("/0/0", "/<company>/<channel>"));
    }
    Ok(())
}

/// Resolves once the data file takes no more writes until reopened (redb after a failed write:
/// a full disk). The server then stops with a non-zero exit code, so its supervisor (systemd
/// `Restart=on-failure`) starts it again and the file is reopened — after space is freed,
/// writes work again. Meanwhile `/healthz` answers 503; a second passes first, so the health
/// probe and the requests in flight get their answers.
async fn storage_failed(db: dukan::storage::Db) -> String {
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if let Some(why) = db.broken() {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            return format!("the data file takes no more writes until it is reopened ({why}); exiting so the server is restarted");
        }
    }
}

/// Prints where to open the app: this machine, and every LAN address when bound to all.
fn print_urls(app: &App, addr: std::net::SocketAddr) {
    println!("Dukan {} listening on http://{addr}", env!("CARGO_PKG_VERSION"));
    println!("Data file: {}", app.config.db_path().display());
    if addr.ip().is_unspecified() {
        println!("Open from this machine: http://127.0.0.1:{}", addr.port());
        if let Ok(ifaces) = if_addrs::get_if_addrs() {
            for iface in ifaces.iter().filter(|i| !i.is_loopback() && i.ip().is_ipv4()) {
                println!("Open from phones, tablets and tills on the network: http://{}:{}", iface.ip(), addr.port());
            }
        }
    }
    let set_up = app.db.read().ok().and_then(|tx| dukan::tenancy::is_set_up(&tx).ok()).unwrap_or(true);
    if !set_up {
        println!("First run: open the address above in a browser to create your company.");
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

fn backup(config: &Config, out: &Path) -> Result<(), String> {
    let out = std::path::absolute(out).map_err(|e| e.to_string())?;
    if let Some(reply) = dukan::control::request(&config.data, &format!("backup {}", out.display())) {
        let reply = reply.map_err(|e| format!("talking to the running server: {e}"))?;
        let reply = reply.trim();
        return match reply.strip_prefix("ok ") {
            Some(rest) => {
                println!("backup written by the running server: {} ({rest} bytes/rows)", out.display());
                Ok(())
            }
            None => Err(reply.trim_start_matches("err ").to_string()),
        };
    }
    let db = dukan::schema::open(&config.db_path(), 64 << 20).map_err(|e| format!("{}: {}", config.db_path().display(), chain(&e)))?;
    let v = dukan::backup::take(&db, &dukan::schema::current(), &out).map_err(|e| chain(&e))?;
    println!("backup verified: {} ({} bytes, {} rows)", out.display(), v.bytes, v.rows);
    Ok(())
}

fn restore(config: &Config, file: &Path) -> Result<(), String> {
    let now = SystemClock.now();
    let (v, aside) = dukan::backup::restore(&config.data, file, &dukan::schema::current(), now).map_err(|e| chain(&e))?;
    println!("restored {} rows from {}", v.rows, file.display());
    for (table, rows) in &v.tables {
        println!("  {table}: {rows}");
    }
    if let Some(a) = aside {
        println!("the previous data file is kept at {}", a.display());
    }
    Ok(())
}

fn check(config: Config) -> ExitCode {
    let problems = match dukan::control::request(&config.data, "check") {
        Some(Ok(reply)) => {
            let mut lines = reply.lines();
            match lines.next() {
                Some("ok 0") => Vec::new(),
                Some(l) if l.starts_with("problems") => lines.map(String::from).collect(),
                Some(l) => {
                    eprintln!("error: {}", l.trim_start_matches("err "));
                    return ExitCode::from(2);
                }
                None => {
                    eprintln!("error: empty reply from the running server");
                    return ExitCode::from(2);
                }
            }
        }
        Some(Err(e)) => {
            eprintln!("error: talking to the running server: {e}");
            return ExitCode::from(2);
        }
        None => match dukan::schema::open(&config.db_path(), 64 << 20)
            .map_err(|e| e.to_string())
            .and_then(|db| dukan::check::run(&db).map_err(|e| e.to_string()))
        {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
    };
    if problems.is_empty() {
        println!("check: no problems");
        ExitCode::SUCCESS
    } else {
        for p in &problems {
            println!("{p}");
        }
        println!("check: {} problems", problems.len());
        ExitCode::FAILURE
    }
}

fn reindex(config: &Config, company: Option<u64>) -> Result<(), String> {
    let db = dukan::schema::open(&config.db_path(), 256 << 20).map_err(|e| e.to_string())?;
    let search = dukan::search::Search::open(&config.data.join("search")).map_err(|e| e.to_string())?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} products ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |c: dukan::ids::CompanyId, done: u64, total: u64| {
        bar.set_message(format!("company {c}"));
        bar.set_length(total);
        bar.set_position(done);
    };
    let done = search.reindex(&db, company.map(dukan::ids::CompanyId), &progress).map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    for (c, docs) in &done {
        println!("company {c}: {docs} products indexed");
    }
    println!("reindexed {} companies", done.len());
    // The telecom subscriber index lives in the data file (`telecom::search`).
    for (c, rows) in dukan::telecom::search::reindex(&db, company.map(dukan::ids::CompanyId)).map_err(|e| e.to_string())? {
        println!("company {c}: {rows} telecom search terms");
    }
    Ok(())
}

fn import_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("importing [{bar:40}] {pos}/{len} rows ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

fn import(config: &Config, who: &str, file: &Path, dry_run: bool, skip_invalid: bool) -> Result<(), String> {
    use dukan::transfer::cli;
    let path = std::path::absolute(file).map_err(|e| e.to_string())?;
    if who.contains(char::is_whitespace) {
        return Err("--company: a company id or an e-mail, without spaces".into());
    }
    let print_preview = |id: &str, rows: &str, new: &str, updates: &str, errors: &str, problems: &[String]| {
        println!("import {id}: {rows} rows — {new} new, {updates} updates, {errors} with problems");
        for p in problems {
            println!("  {p}");
        }
    };
    let refuse = |errors: u64| -> Option<String> {
        (errors > 0 && !skip_invalid && !dry_run)
            .then(|| format!("{errors} rows have problems: fix the file, or pass --skip-invalid to import only the others"))
    };
    if let Some(reply) = dukan::control::request(&config.data, &format!("import-preview {who} {}", path.display())) {
        let reply = reply.map_err(|e| format!("talking to the running server: {e}"))?;
        let mut lines = reply.lines();
        let head = lines.next().unwrap_or("");
        let Some(rest) = head.strip_prefix("ok ") else {
            return Err(head.trim_start_matches("err ").to_string());
        };
        let f: Vec<&str> = rest.split(' ').collect();
        let [id, rows, new, updates, errors] = f[..] else { return Err(format!("unexpected reply: {head}")) };
        let problems: Vec<String> = lines.filter(|l| !l.is_empty()).map(String::from).collect();
        print_preview(id, rows, new, updates, errors, &problems);
        if let Some(why) = refuse(errors.parse().unwrap_or(0)) {
            return Err(why);
        }
        if dry_run {
            return Ok(());
        }
        let ask = |line: String| -> Result<String, String> {
            let reply = dukan::control::request(&config.data, &line).ok_or("the server stopped")?.map_err(|e| e.to_string())?;
            reply.strip_prefix("ok ").map(|r| r.trim().to_string()).ok_or_else(|| reply.trim_start_matches("err ").trim().to_string())
        };
        ask(format!("import-confirm {who} {id} {}", u8::from(skip_invalid)))?;
        let bar = import_bar(rows.parse().unwrap_or(0));
        loop {
            let status = ask(format!("import-status {who} {id}"))?;
            let s: Vec<&str> = status.split(' ').collect();
            let [state, applied, _, created, updated, failed] = s[..] else { return Err(format!("unexpected reply: {status}")) };
            bar.set_position(applied.parse().unwrap_or(0));
            if state == "done" || state == "failed" {
                bar.finish_and_clear();
                println!("import {id} {state}: {created} created, {updated} updated, {failed} skipped");
                return if state == "done" { Ok(()) } else { Err("the import stopped: the user can no longer edit products".into()) };
            }
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
    }
    let db = dukan::schema::open(&config.db_path(), config.cache_mb << 20).map_err(|e| e.to_string())?;
    let preview = cli::preview(&db, who, &path, SystemClock.now()).map_err(|e| describe(&e))?;
    let company = cli::actor(&db.read().map_err(|e| e.to_string())?, who, SystemClock.now()).map_err(|e| describe(&e))?.company;
    let problems =
        cli::problems(&db.read().map_err(|e| e.to_string())?, company, preview.id, dukan::i18n::Lang::En).map_err(|e| describe(&e))?;
    let n = |v: u32| v.to_string();
    print_preview(&preview.id.to_string(), &n(preview.rows), &n(preview.new), &n(preview.updates), &n(preview.errors), &problems);
    if let Some(why) = refuse(u64::from(preview.errors)) {
        return Err(why);
    }
    if dry_run {
        return Ok(());
    }
    cli::confirm(&db, who, preview.id, skip_invalid, SystemClock.now()).map_err(|e| describe(&e))?;
    let bar = import_bar(u64::from(preview.rows));
    let done = cli::apply_all(&db, preview.id, company, &|| SystemClock.now(), &|applied, _| bar.set_position(u64::from(applied)))
        .map_err(|e| describe(&e))?;
    bar.finish_and_clear();
    println!(
        "import {} {}: {} created, {} updated, {} skipped",
        done.id,
        done.state.code(),
        done.created_count,
        done.updated_count,
        done.failed_count
    );
    if cli::finished(&done) && done.state.code() == "done" { Ok(()) } else { Err("the import did not finish".into()) }
}

fn company_create(
    config: Config,
    name: String,
    country: String,
    owner_email: String,
    owner_password: String,
    owner_name: String,
) -> Result<(), String> {
    let draft = dukan::tenancy::CompanyDraft { name, country, owner_name, owner_email, owner_password, plan: None };
    let parsed = draft.parse().map_err(|e| describe(&e))?;
    let hasher = dukan::auth::password::Hasher::new(config.argon2_m_kib, config.argon2_t).map_err(|e| e.to_string())?;
    let hash = hasher.hash_blocking(&parsed.owner_password).map_err(|e| e.to_string())?;
    dukan::storage::private::create_dir(&config.data).map_err(|e| format!("{}: {e}", config.data.display()))?;
    let db = dukan::schema::open(&config.db_path(), 16 << 20).map_err(|e| e.to_string())?;
    let now = SystemClock.now();
    let (company, _) = db
        .write_blocking(|tx| dukan::tenancy::create_company(tx, now, &parsed, hash, dukan::tenancy::Creator::Cli))
        .map_err(|e| describe(&e))?;
    println!("{company}");
    Ok(())
}

fn describe(e: &dukan::error::Error) -> String {
    // The opaque "internal error" shown to web users says nothing on a command line.
    if e.status() >= 500 {
        return chain(e);
    }
    let mut s = e.message(dukan::i18n::Lang::En);
    for f in e.fields() {
        s.push_str(&format!("\n  {}: {}", f.field, f.message(dukan::i18n::Lang::En)));
    }
    s
}

fn bench_seed(config: Config, records: u64, companies: u64) -> Result<(), String> {
    dukan::storage::private::create_dir(&config.data).map_err(|e| format!("{}: {e}", config.data.display()))?;
    let db = dukan::schema::open(&config.db_path(), 256 << 20).map_err(|e| e.to_string())?;
    let now = SystemClock.now();
    let hasher = dukan::auth::password::Hasher::new(config.argon2_m_kib, config.argon2_t).map_err(|e| e.to_string())?;
    let bar = indicatif::ProgressBar::new(records);
    let written = dukan::seed::bench(&db, &hasher, now, records, companies, |n| bar.inc(n)).map_err(|e| e.to_string())?;
    bar.finish();
    println!(
        "added {written} records in {companies} companies; sign in as bench1@bench.local … bench{companies}@bench.local with password {}",
        dukan::seed::BENCH_PASSWORD
    );
    Ok(())
}

fn demo(config: Config, size: &str) -> Result<(), String> {
    let large = match size {
        "small" => false,
        "large" => true,
        other => return Err(format!("--size must be small or large, not {other:?}")),
    };
    dukan::storage::private::create_dir(&config.data).map_err(|e| format!("{}: {e}", config.data.display()))?;
    let db = dukan::schema::open(&config.db_path(), config.cache_mb << 20).map_err(|e| e.to_string())?;
    let hasher = dukan::auth::password::Hasher::new(config.argon2_m_kib, config.argon2_t).map_err(|e| e.to_string())?;
    let bar = indicatif::ProgressBar::new(if large { 300_000 + 19 * 130 } else { 130 });
    let login = dukan::demo::run(&db, &hasher, SystemClock.now(), large, &|n| bar.inc(n)).map_err(|e| describe(&e))?;
    bar.finish_and_clear();
    println!("email: {}", login.email);
    println!("password: {}", login.password);
    Ok(())
}
