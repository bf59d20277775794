//! The `interview-gateway` command.

// The CLI's job includes printing (the new key, the spec) to stdout.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use gateway_core::{Scope, WorkspaceId};
use interview_gateway::ops::bootstrap::{create_key, WorkspaceChoice};
use interview_gateway::{app, telemetry, Config, Gateway};

#[derive(Parser)]
#[command(
    name = "interview-gateway",
    version,
    about = "One vendor-neutral API for AI-interview vendors"
)]
struct Cli {
    /// A TOML file layered over the embedded defaults (environment variables still win).
    #[arg(long, global = true, env = "GATEWAY_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print the OpenAPI document.
    Openapi,
    /// Re-seal every secret at rest under the current master key (see README "Master key").
    RotateMasterKey(RotateArgs),
    /// Run the vendor simulators (HeyMilo, Flowmingo, InterviewFlowAI, TapTalent) alone.
    Sandbox(SandboxArgs),
    /// Try it: the gateway on a SQLite file with the four vendor simulators in-process,
    /// a workspace, an admin key, one connection and template per vendor, and curl commands.
    Demo(DemoArgs),
    /// Load the configuration exactly as `serve` would, report it (no secrets) and exit:
    /// 0 when it is valid, 2 naming the bad key otherwise.
    CheckConfig,
    /// Ask a running gateway whether it is ready (exit 0) or not (exit 1): the container
    /// health check, which needs no curl in the image.
    Health(HealthArgs),
}

#[derive(Args)]
struct DemoArgs {
    /// Where the gateway listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: std::net::SocketAddr,
    /// Where the vendor simulators listen.
    #[arg(long, default_value = "127.0.0.1:9100")]
    sandbox_bind: std::net::SocketAddr,
    /// The demo's own SQLite file and master key live here (start over by deleting it).
    #[arg(long, default_value = "data/demo")]
    dir: PathBuf,
}

#[derive(Args)]
struct HealthArgs {
    /// Default: /health/ready on the port of server.bind, over loopback.
    #[arg(long)]
    url: Option<String>,
}

#[derive(Args)]
struct RotateArgs {
    /// Generate a new key into security.master_key_file (the single-node default), keeping
    /// the old one as <file>.previous.
    #[arg(long)]
    generate: bool,
}

#[derive(Args)]
struct SandboxArgs {
    /// Where the simulators listen; connections use http://<bind>/<vendor> as base_url.
    #[arg(long, default_value = "127.0.0.1:9100")]
    bind: std::net::SocketAddr,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a key and print its secret (shown once).
    Create(KeysCreate),
    /// Print a new, well-formed key without storing it: a value for
    /// auth.bootstrap_admin_key (GATEWAY_AUTH__BOOTSTRAP_ADMIN_KEY).
    Generate,
}

#[derive(Args)]
struct KeysCreate {
    /// Give the key the `admin` scope: everything, in every workspace.
    #[arg(long)]
    admin: bool,
    /// Scopes for a non-admin key, comma-separated (e.g. interviews:write,templates:read).
    #[arg(long, value_delimiter = ',', required_unless_present = "admin")]
    scopes: Vec<Scope>,
    /// The workspace; default: the only one there is, or a new "default" workspace.
    #[arg(long)]
    workspace: Option<WorkspaceId>,
    #[arg(long, default_value = "cli")]
    name: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("interview-gateway: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    telemetry::init(&config.log);
    if config.telemetry.exports() {
        tracing::info!(
            otlp_endpoint = %config.telemetry.otlp_endpoint,
            sampling_ratio = config.telemetry.sampling_ratio,
            "exporting spans over OTLP/HTTP"
        );
    }
    match run(cli.command.unwrap_or(Command::Serve), config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The logger writes to stderr too; one line, in the configured format.
            tracing::error!("{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let bind = config.server.bind;
            let gateway = Gateway::open(config).await?;
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {bind} (server.bind): {e}"))?;
            tracing::info!(address = %listener.local_addr()?, "interview gateway listening");
            gateway.serve(listener, app::shutdown_signal()).await?;
            Ok(())
        }
        Command::Migrate => {
            let mut config = config;
            config.database.run_migrations = true;
            Gateway::open(config).await?;
            tracing::info!("database migrations are up to date");
            Ok(())
        }
        Command::Keys(KeysCommand::Create(args)) => {
            let gateway = Gateway::open(config).await?;
            let scopes = if args.admin {
                vec![Scope::Admin]
            } else {
                args.scopes
            };
            let choice = match args.workspace {
                Some(id) => WorkspaceChoice::Existing(id),
                None => WorkspaceChoice::Default {
                    name: "default".into(),
                },
            };
            let created = create_key(gateway.state(), choice, &args.name, scopes).await?;
            println!("{}", created.secret.expose());
            eprintln!(
                "created {} in workspace {} with scopes [{}]; the key above is shown only once",
                created.api_key.id,
                created.api_key.workspace_id,
                created
                    .api_key
                    .scopes
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(())
        }
        Command::RotateMasterKey(args) => {
            let report =
                interview_gateway::ops::rotation::rotate_master_key(&config, args.generate).await?;
            println!(
                "re-sealed {} secrets: master key {} -> {}",
                report.resealed, report.old_fingerprint, report.new_fingerprint
            );
            match report.key_file {
                Some(path) => println!(
                    "the new key is in {} (the old one in {}); restart the gateway",
                    path.display(),
                    path.with_extension("key.previous").display()
                ),
                None => println!(
                    "every secret is sealed under the current key; previous_master_keys can go"
                ),
            }
            Ok(())
        }
        Command::Sandbox(args) => {
            let listener = tokio::net::TcpListener::bind(args.bind)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.bind))?;
            let addr = listener.local_addr()?;
            tracing::info!(address = %addr, "vendor sandbox listening; control API at /_control");
            println!("sandbox listening on http://{addr} (heymilo: /heymilo, flowmingo: /flowmingo, interviewflowai: /interviewflowai, taptalent: /taptalent/v1/partner)");
            gateway_sandbox::serve(listener, app::shutdown_signal()).await?;
            Ok(())
        }
        Command::Keys(KeysCommand::Generate) => {
            let key = interview_gateway::auth::GeneratedKey::generate();
            println!("{}", key.full.expose());
            Ok(())
        }
        Command::CheckConfig => {
            for line in interview_gateway::config::summary(&config) {
                println!("{line}");
            }
            println!("configuration OK");
            Ok(())
        }
        Command::Health(args) => {
            let url = args.url.unwrap_or_else(|| {
                format!(
                    "http://127.0.0.1:{}/health/ready",
                    config.server.bind.port()
                )
            });
            interview_gateway::ops::health_probe::probe(&url).await
        }
        Command::Demo(args) => {
            let options = interview_gateway::ops::demo::DemoOptions {
                bind: args.bind,
                sandbox_bind: args.sandbox_bind,
                dir: args.dir,
            };
            let demo = interview_gateway::ops::demo::start(config, options).await?;
            println!("{}", demo.instructions());
            demo.run(app::shutdown_signal()).await
        }
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&interview_gateway::openapi_document())?
            );
            Ok(())
        }
    }
}
