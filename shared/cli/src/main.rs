//! `seikyu`: render invoices to UBL and UBL to PDF, run the embedded demo, print the request schema,
//! read bank statements.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use seikyu_domain::parse::invoice_from_json;
use seikyu_domain::{FieldError, Format, InvoiceInput};
use seikyu_einvoice::{IssueError, render_to_vec};

/// Exit status: 0 done; 1 the invoice or statement was refused (problems listed); 2 wrong usage; 3 a
/// file could not be read or written.
const EXIT_INVALID: u8 = 1;
const EXIT_IO: u8 = 3;

#[derive(Parser)]
#[command(
    name = "seikyu",
    version,
    about = "Seikyu (請求): invoices as standards-conformant UBL e-invoices (PINT JP, Peppol BIS 3.0).",
    after_help = "Exit status: 0 done, 1 invoice or statement refused (each problem printed as path: message (code), \
                  or the statement's record and reason), \
                  2 wrong usage, 3 file could not be read or written."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    PintJp,
    PeppolBis3,
}

#[derive(Subcommand)]
enum Command {
    /// Validate an invoice JSON file, print its totals to stderr and write it as UBL XML.
    ///
    /// The input is the body POST /invoices accepts (schema: docs/invoice-input.schema.json, or
    /// `seikyu schema`). The output format is PINT JP for a seller in Japan, Peppol BIS Billing 3.0
    /// otherwise, unless the file or --format says otherwise.
    Render {
        /// Invoice JSON file ('-' for standard input).
        input: PathBuf,
        /// Where to write the XML (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Invoice number to use when the file has none (the API assigns numbers itself).
        #[arg(long)]
        number: Option<String>,
        /// Override the output format.
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Print refusals as JSON ({"errors":[{"path","code","message"}]}) instead of text.
        #[arg(long)]
        json_errors: bool,
    },
    /// Run the embedded demo of the invoice lifecycle (in-memory, no emulator, no network) and write
    /// the documents it produces into DIR.
    Demo {
        /// Folder for the generated documents (created if missing).
        #[arg(long, default_value = "out/demo")]
        out: PathBuf,
    },
    /// Print the JSON Schema of the invoice input.
    Schema,
    /// Read a bank statement (Zengin 01 A/B or 03, camt.053, camt.054) and print one JSON line per entry.
    ///
    /// Keys: format, account, entry_id, booking_date, value_date, direction, amount, currency,
    /// payer_name, payer_name_normalized, reference, reversal. A refused file prints nothing on standard
    /// output and exits 1 with the record and the reason on standard error.
    Statement {
        /// The statement file ('-' for standard input).
        file: PathBuf,
        /// The day the file is read on (YYYY-MM-DD; default: today in Tokyo). Zengin years are two-digit
        /// 和暦: the era nearest this day is taken.
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Run the HTTP API (every route of invoice-api and payment-webhook) with the jobs inside, on a
    /// data folder: SQLite store and queues, archive files, mail as .eml files or over SMTP.
    ///
    /// The first start prints an admin key once (or set SEIKYU_ADMIN_KEY). Webhook secrets:
    /// DATA/secrets/{seller}/{provider} (one per line) or SEIKYU_WEBHOOK_SECRETS
    /// ({"seller/provider": ["secret"]}). SIGTERM or Ctrl-C stops it cleanly; a message not yet handled
    /// is handled after the next start.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// The data folder (created on the first start).
        #[arg(long, default_value = "seikyu-data")]
        data: PathBuf,
        /// The sender of every mail.
        #[arg(
            long,
            env = "SEIKYU_MAIL_FROM",
            default_value = "billing@seikyu.localhost"
        )]
        from: String,
        /// Send mail over SMTP (smtp://user:pass@host:587 with STARTTLS required, smtps://... for TLS) instead of writing DATA/mail/*.eml.
        #[arg(long, env = "SEIKYU_SMTP_URL", hide_env_values = true)]
        smtp: Option<String>,
        /// Run the API alone: mail, receipts, reminders and statements wait in their queues.
        #[arg(long)]
        no_jobs: bool,
        /// Flush every commit and archived file to disk before answering (survives a power cut, not
        /// only a crash of the process); slower.
        #[arg(long)]
        fsync: bool,
        /// Replace the admin key with a new one (printed once).
        #[arg(long)]
        new_admin_key: bool,
    },
    /// Render a UBL invoice or credit note (PINT JP or Peppol BIS) as PDF/A-3b with the UBL embedded.
    ///
    /// The figures are read from the UBL; a document whose stated totals its lines do not give is
    /// refused (exit 1).
    Pdf {
        /// The UBL file ('-' for standard input).
        ubl: PathBuf,
        /// Where to write the PDF (default: the UBL's name with .pdf).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

fn read_input(path: &PathBuf) -> std::io::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path)
    }
}

fn refuse(source: &str, errors: &[FieldError], json: bool) -> ExitCode {
    if json {
        let body = serde_json::json!({ "errors": errors });
        eprintln!("{body}");
    } else {
        eprintln!("error: {source} was refused ({} problem(s)):", errors.len());
        for e in errors {
            let path = if e.path.is_empty() {
                "(document)"
            } else {
                &e.path
            };
            eprintln!("  {path}: {} ({})", e.message, e.code.as_str());
        }
    }
    ExitCode::from(EXIT_INVALID)
}

fn render(
    input: PathBuf,
    output: Option<PathBuf>,
    number: Option<String>,
    format: Option<FormatArg>,
    json: bool,
) -> ExitCode {
    let source = input.display().to_string();
    let bytes = match read_input(&input) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {source}: {e}");
            return ExitCode::from(EXIT_IO);
        }
    };
    let mut invoice: InvoiceInput = match invoice_from_json(&bytes) {
        Ok(i) => i,
        Err(e) => return refuse(&source, &[e], json),
    };
    if invoice.number.is_none() {
        invoice.number = number;
    }
    if let Some(f) = format {
        invoice.format = Some(match f {
            FormatArg::PintJp => Format::PintJp,
            FormatArg::PeppolBis3 => Format::PeppolBis3,
        });
    }
    if invoice.number.is_none() {
        let e = FieldError {
            path: "number".into(),
            code: seikyu_domain::Code::Required,
            message: "the file has no invoice number; add \"number\" or pass --number".into(),
        };
        return refuse(&source, &[e], json);
    }
    let (xml, totals) = match render_to_vec(&invoice) {
        Ok(r) => r,
        Err(IssueError::Invalid(v)) => return refuse(&source, &v.errors, json),
        Err(e) => {
            eprintln!("error: {source}: {e}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    eprint!("{}", seikyu_cli::summary::totals(&invoice, &totals));
    let written = match &output {
        Some(path) => std::fs::write(path, &xml),
        None => std::io::Write::write_all(&mut std::io::stdout().lock(), &xml),
    };
    if let Err(e) = written {
        let to = output.map_or("standard output".to_string(), |p| p.display().to_string());
        eprintln!("error: cannot write {to}: {e}");
        return ExitCode::from(EXIT_IO);
    }
    if let Some(path) = output {
        eprintln!("wrote {} ({} bytes)", path.display(), xml.len());
    }
    ExitCode::SUCCESS
}

/// Today in Tokyo, from the system clock (the CLI is an edge: the pure crates never read a clock).
fn today_in_tokyo() -> chrono::NaiveDate {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    chrono::DateTime::from_timestamp(secs, 0)
        .map(seikyu_domain::dates::tokyo_date)
        .unwrap_or_default()
}

fn pdf(ubl: PathBuf, output: Option<PathBuf>) -> ExitCode {
    let source = ubl.display().to_string();
    let bytes = match read_input(&ubl) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {source}: {e}");
            return ExitCode::from(EXIT_IO);
        }
    };
    let pdf = match seikyu_documents::pdf::invoice(&bytes) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {source} was refused: {e}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let out = output.unwrap_or_else(|| {
        if ubl.as_os_str() == "-" {
            PathBuf::from("invoice.pdf")
        } else {
            ubl.with_extension("pdf")
        }
    });
    match std::fs::write(&out, &pdf) {
        Ok(()) => {
            eprintln!("wrote {} ({} bytes)", out.display(), pdf.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", out.display());
            ExitCode::from(EXIT_IO)
        }
    }
}

fn statement(file: PathBuf, as_of: Option<chrono::NaiveDate>) -> ExitCode {
    let source = file.display().to_string();
    let limit = seikyu_banking::MAX_STATEMENT_BYTES;
    // Bounded before reading: a file larger than any statement is refused without loading it.
    let read = if file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::io::stdin(), limit + 1),
            &mut buf,
        )
        .map(|_| buf)
    } else {
        std::fs::File::open(&file).and_then(|f| {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::Read::take(f, limit + 1), &mut buf)
                .map(|_| buf)
        })
    };
    let bytes = match read {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {source}: {e}");
            return ExitCode::from(EXIT_IO);
        }
    };
    match seikyu_banking::parse(&bytes, as_of.unwrap_or_else(today_in_tokyo)) {
        Ok(st) => {
            let mut out = String::new();
            for e in &st.entries {
                out.push_str(&e.json_line());
                out.push('\n');
            }
            if let Err(e) = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes())
            {
                eprintln!("error: cannot write standard output: {e}");
                return ExitCode::from(EXIT_IO);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {source} was refused: {e}");
            ExitCode::from(EXIT_INVALID)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Render {
            input,
            output,
            number,
            format,
            json_errors,
        } => render(input, output, number, format, json_errors),
        Command::Demo { out } => {
            let rt = match tokio::runtime::Builder::new_current_thread().build() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("error: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match rt.block_on(seikyu_cli::demo::run(&out)) {
                Ok(report) => {
                    print!("{}", report.summary);
                    ExitCode::SUCCESS
                }
                Err(e @ seikyu_cli::demo::DemoError::Io(..)) => {
                    eprintln!("error: {e}");
                    ExitCode::from(EXIT_IO)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Statement { file, as_of } => statement(file, as_of),
        Command::Serve {
            listen,
            data,
            from,
            smtp,
            no_jobs,
            fsync,
            new_admin_key,
        } => {
            let opts = seikyu_local::ServeOptions {
                listen,
                data,
                from,
                smtp,
                admin_key: std::env::var("SEIKYU_ADMIN_KEY").ok(),
                webhook_secrets: std::env::var("SEIKYU_WEBHOOK_SECRETS").ok(),
                jobs: !no_jobs,
                durability: if fsync {
                    seikyu_local::Durability::Power
                } else {
                    seikyu_local::Durability::Process
                },
                new_admin_key,
            };
            match seikyu_local::serve::run(opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(EXIT_IO)
                }
            }
        }
        Command::Pdf { ubl, output } => pdf(ubl, output),
        Command::Schema => {
            let schema = schemars::schema_for!(InvoiceInput);
            match serde_json::to_string_pretty(&schema) {
                Ok(s) => {
                    println!("{s}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
