//! The `portico` command line.

use clap::{Parser, Subcommand};
use portico::app::{App, build_state, shutdown_signal};
use portico::auth::keys::{self, KeyAlg};
use portico::clock::{Clock, SystemClock};
use portico::config::Settings;
use portico::service::practice::practices::{self, NewPractice};
use portico::store::outbox;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "portico", version, about = "Patient portal identity server")]
struct Cli {
    /// A TOML file of settings; PORTICO_* environment variables override it.
    #[arg(long, global = true, env = "PORTICO_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run pending migrations, then serve.
    Serve,
    /// Run pending migrations and exit.
    Migrate,
    /// Manage practices.
    Practice {
        #[command(subcommand)]
        command: PracticeCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Inspect and retry queued email and SMS.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
    /// Manage the keys that sign tokens.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The offline breached-password set.
    BreachedPasswords {
        #[command(subcommand)]
        command: BreachedCommand,
    },
}

#[derive(Subcommand)]
enum BreachedCommand {
    /// Build a set from a file of passwords (or SHA-1 hashes) and write it where
    /// `breached_passwords_file` points; restart the server to use it.
    Build {
        /// The source: one password per line, or with --format sha1 one SHA-1 per line
        /// (`HEX` or `HEX:count`, as Have I Been Pwned publishes them).
        #[arg(long)]
        from: PathBuf,
        #[arg(long, value_enum, default_value = "plain")]
        format: BreachedFormat,
        /// Where to write the set (replaced atomically).
        #[arg(long)]
        out: PathBuf,
    },
    /// Read one password per line on standard input and say whether each is in the set in
    /// use (`breached_passwords_file`, else the bundled one). Nothing is echoed but the verdict.
    Check,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum BreachedFormat {
    Plain,
    Sha1,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a new signing key that signs from now on; the current key stays published until
    /// every token it signed has expired, then retires. Running servers pick it up within 30 s.
    Rotate,
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// List messages, newest first: id, status, attempts, template, last error.
    List {
        /// pending, sent or failed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
    /// Send a failed message again.
    Retry { id: uuid::Uuid },
}

#[derive(Subcommand)]
enum PracticeCommand {
    /// Create a practice and print its first admin API key (shown once, on the last line).
    Create {
        /// URL name, like smith-family-clinic.
        #[arg(long)]
        slug: String,
        /// Display name, like "Smith Family Clinic".
        #[arg(long)]
        name: String,
        /// Phone number shown to patients whose access is blocked.
        #[arg(long)]
        phone: String,
        /// Contact email.
        #[arg(long)]
        email: Option<String>,
    },
}

/// `portico breached-passwords …`: no database needed.
mod breached {
    use super::{BreachedCommand, BreachedFormat};
    use anyhow::Context;
    use portico::config::Settings;
    use portico::domain::breached_passwords::{self as bp, BreachedPasswords, SourceFormat};
    use std::io::BufRead;
    use std::path::Path;

    pub fn run(command: BreachedCommand, config: Option<&Path>) -> anyhow::Result<()> {
        match command {
            BreachedCommand::Build { from, format, out } => {
                let file = std::fs::File::open(&from)
                    .with_context(|| format!("opening {}", from.display()))?;
                let format = match format {
                    BreachedFormat::Plain => SourceFormat::Plain,
                    BreachedFormat::Sha1 => SourceFormat::Sha1,
                };
                let started = std::time::Instant::now();
                let (keys, skipped) = bp::keys_from_lines(std::io::BufReader::new(file), format)?;
                let read = keys.len();
                let bytes = BreachedPasswords::build(keys)?;
                bp::write_file(&out, &bytes)?;
                // Load it back: what was written is what a server will verify at start.
                let set = BreachedPasswords::open(&out)?;
                println!(
                    "{} passwords ({} lines read, {} skipped) -> {} ({} bytes, {:.1} bits each) in {:.1} s",
                    set.entries(),
                    read,
                    skipped,
                    out.display(),
                    bytes.len(),
                    bytes.len() as f64 * 8.0 / set.entries() as f64,
                    started.elapsed().as_secs_f64()
                );
                println!(
                    "set breached_passwords_file (PORTICO_BREACHED_PASSWORDS_FILE) to it and restart"
                );
            }
            BreachedCommand::Check => {
                let settings = Settings::load(config)?;
                let set = match settings.breached_passwords_file {
                    Some(p) => BreachedPasswords::open(&p)
                        .with_context(|| format!("loading {}", p.display()))?,
                    None => BreachedPasswords::bundled()?,
                };
                for line in std::io::stdin().lock().lines() {
                    let line = line?;
                    let verdict = if set.contains(line.trim_end_matches('\r')) {
                        "breached"
                    } else {
                        "not found"
                    };
                    println!("{verdict}");
                }
            }
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        println!("{}", portico::api::spec_json());
        return ExitCode::SUCCESS;
    }
    if let Command::BreachedPasswords { command } = cli.command {
        return match breached::run(command, cli.config.as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("portico: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("portico: {e}");
            return ExitCode::from(2);
        }
    };
    // Every command from here on opens the database, where keys are stored.
    if let Err(e) = settings.check_key_encryption() {
        eprintln!("portico: {e}");
        return ExitCode::from(2);
    }
    portico::telemetry::init_logging(settings.log_format);
    match run(cli.command, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portico: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let stop = shutdown_signal();
            let app = App::build(settings).await?;
            app.run_until(stop).await?;
        }
        Command::Migrate => {
            build_state(settings, Arc::new(SystemClock)).await?;
            println!("migrations applied");
        }
        Command::Practice {
            command:
                PracticeCommand::Create {
                    slug,
                    name,
                    phone,
                    email,
                },
        } => {
            let state = build_state(settings, Arc::new(SystemClock)).await?;
            let new = NewPractice::parse(&slug, &name, &phone, email.as_deref())?;
            let (practice, key) = practices::create(&state.db, new, SystemClock.now()).await?;
            println!(
                "created practice {} ({}) id {}",
                practice.slug, practice.name, practice.id
            );
            println!("admin API key (shown once; store it now):");
            println!("{key}");
        }
        Command::Outbox { command } => {
            let state = build_state(settings, Arc::new(SystemClock)).await?;
            match command {
                OutboxCommand::List { status, limit } => {
                    println!(
                        "{:<36}  {:<7}  {:>8}  {:<5}  {:<22}  last error",
                        "id", "status", "attempts", "via", "template"
                    );
                    for m in outbox::list(&state.db, status.as_deref(), limit).await? {
                        println!(
                            "{:<36}  {:<7}  {:>8}  {:<5}  {:<22}  {}",
                            m.id,
                            m.status,
                            m.attempts,
                            m.channel.as_str(),
                            m.template,
                            m.last_error.unwrap_or_default()
                        );
                    }
                }
                OutboxCommand::Retry { id } => {
                    if outbox::retry(&state.db, id, SystemClock.now()).await? {
                        println!("{id} queued again; a running server will send it");
                    } else {
                        anyhow::bail!("no failed message with id {id}");
                    }
                }
            }
        }
        Command::Keys {
            command: KeysCommand::Rotate,
        } => {
            let state = build_state(settings, Arc::new(SystemClock)).await?;
            // EdDSA first: its line leads the output, as before RS256 keys existed.
            for alg in keys::ALL_ALGS {
                let rotation = state
                    .keys
                    .rotate(
                        *alg,
                        keys::retire_after(state.settings.access_token_ttl_secs),
                        SystemClock.now(),
                    )
                    .await?;
                let label = if *alg == KeyAlg::EdDsa {
                    String::new()
                } else {
                    format!(" ({})", alg.as_str())
                };
                println!("new signing key {}{label} signs from now on", rotation.kid);
                for kid in &rotation.retired {
                    println!(
                        "key {kid} stays published until {} and then retires",
                        rotation.retires_at.to_rfc3339()
                    );
                }
            }
        }
        Command::Openapi | Command::BreachedPasswords { .. } => {
            unreachable!("handled before settings load")
        }
    }
    Ok(())
}
