//! `ticket-server [serve]` runs the service; `ticket-server migrate` only applies the
//! migrations. Configuration: see [`ticket_server::config`].

use std::process::ExitCode;

use ticket_domain::SystemClock;
use ticket_server::{Application, Config, prepare_database, telemetry};

const USAGE: &str = "usage: ticket-server [serve|migrate]

  serve    create the database if missing, apply migrations, serve HTTP (default)
  migrate  create the database if missing, apply migrations, exit

Configuration comes from environment variables and a .env file; see README.md.";

enum Command {
    Serve,
    Migrate,
}

fn main() -> ExitCode {
    // A missing .env file is normal; variables already set win over it.
    let _ = dotenvy::dotenv();
    let command = match std::env::args().nth(1).as_deref() {
        None | Some("serve") => Command::Serve,
        Some("migrate") => Command::Migrate,
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("unknown command {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(errors) => {
            eprint!("{errors}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_level, config.log_format);
    let result = actix_web::rt::System::new().block_on(async move {
        match command {
            Command::Migrate => prepare_database(&config.database_url).await.map(|applied| {
                tracing::info!(count = applied.len(), "migrations up to date");
            }),
            Command::Serve => {
                let app = Application::build(&config, SystemClock).await?;
                tracing::info!(
                    service = %config.service_name,
                    host = %config.host,
                    port = app.port(),
                    "listening"
                );
                app.run_until_stopped().await.map_err(Into::into)
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "stopped");
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
