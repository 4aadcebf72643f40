//! Command line: clap definitions and dispatch. Library errors become exit
//! codes here and nowhere else.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::site::{self, BuildOptions};

#[derive(Parser, Debug)]
#[command(name = "kennisbank", version, about = "Bouwt een doorzoekbare statische kennisbank uit Markdown", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Bouw de site naar public/ (of --output)
    Build(BuildArgs),
    /// Controleer alles wat build controleert, zonder iets te schrijven
    Check(CheckArgs),
    /// Start een lokale voorbeeldserver die bij elke wijziging herlaadt
    Serve(ServeArgs),
    /// Maak een nieuwe pagina in een sectie, met alle verplichte velden
    New(NewArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Poort (standaard 1111, of de eerstvolgende vrije)
    #[arg(long, short = 'p')]
    pub port: Option<u16>,
    /// Adres om op te luisteren (standaard 127.0.0.1; anders een waarschuwing)
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// Open de site in de browser
    #[arg(long)]
    pub open: bool,
}

#[derive(Args, Debug, Clone)]
pub struct NewArgs {
    /// Map van de site
    #[arg(long, short = 'r', default_value = ".")]
    pub root: PathBuf,
    /// Sectie (map onder content/), bijvoorbeeld praktijken
    pub section: String,
    /// Titel van de nieuwe pagina
    pub title: String,
}

#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// Map van de site (met kennisbank.yaml en content/)
    #[arg(long, short = 'r', default_value = ".")]
    pub root: PathBuf,
    /// Basis-URL, bijvoorbeeld https://example.org/kennisbank/
    #[arg(long)]
    pub base_url: Option<String>,
    /// Neem pagina's met draft: true mee
    #[arg(long)]
    pub drafts: bool,
    /// Gebruik een ander thema dan kennisbank.yaml noemt
    #[arg(long)]
    pub theme: Option<String>,
    /// Behandel waarschuwingen (zoals toegankelijkheid) als fouten
    #[arg(long)]
    pub strict: bool,
}

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Toon de pagina's waarvan de herziendatum (herzien_op) voorbij is
    #[arg(long)]
    pub review: bool,
    /// Toon alle schrijftips (taalniveau B1) per pagina, met regel en zin
    #[arg(long)]
    pub b1: bool,
}

#[derive(Args, Debug, Clone)]
pub struct BuildArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Uitvoermap (standaard: <root>/public)
    #[arg(long, short = 'o', alias = "out")]
    pub output: Option<PathBuf>,
    /// Sla de zoekindex over
    #[arg(long)]
    pub no_search: bool,
}

impl CommonArgs {
    pub fn options(&self) -> BuildOptions {
        BuildOptions {
            root: self.root.clone(),
            output: None,
            base_url: self.base_url.clone(),
            drafts: self.drafts,
            theme: self.theme.clone(),
            search: true,
            strict: self.strict,
        }
    }
}

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Build(args) => {
            let mut opts = args.common.options();
            opts.output = args.output;
            opts.search = !args.no_search;
            report(site::build(&opts), |r| {
                let mut line = r.summary_line();
                if let Some(s) = &r.search {
                    line.push_str(&format!(
                        "\nzoekindex: {} pagina's, {} woorden in {} ms",
                        s.pages,
                        s.words,
                        s.duration.as_millis()
                    ));
                }
                if !r.review.is_empty() {
                    line.push_str(&format!(
                        "\n{} voorbij de herziendatum (kennisbank check --review)",
                        pages_text(r.review.len())
                    ));
                }
                line
            })
        }
        Command::Serve(args) => crate::serve::run(args),
        Command::New(args) => crate::new::run(args),
        Command::Check(args) => report(site::check(&args.common.options()), |r| {
            let mut out = String::new();
            if args.review {
                out.push_str(&review_text(&r.review));
            }
            out.push_str(&b1_text(&r.b1, args.b1));
            out.push_str(&format!(
                "geen fouten: {} pagina's, {} secties gecontroleerd",
                r.pages, r.sections
            ));
            if !args.review && !r.review.is_empty() {
                out.push_str(&format!(
                    "\n{} voorbij de herziendatum (kennisbank check --review)",
                    pages_text(r.review.len())
                ));
            }
            out
        }),
    }
}

fn report(
    result: Result<site::BuildReport, crate::error::BuildFailure>,
    ok: impl Fn(&site::BuildReport) -> String,
) -> ExitCode {
    match result {
        Ok(r) => {
            for w in &r.warnings {
                eprintln!("{w}");
            }
            println!("{}", ok(&r));
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::FAILURE
        }
    }
}

fn pages_text(n: usize) -> String {
    if n == 1 {
        "1 pagina".into()
    } else {
        format!("{n} pagina's")
    }
}

/// `check --review`: file, owner and date of every page past its review date.
fn review_text(review: &[crate::governance::Overdue]) -> String {
    let mut out = format!("te herzien: {}\n", pages_text(review.len()));
    for o in review {
        out.push_str(&format!("  {o}\n"));
    }
    out
}

/// The writing hints: per page with `--b1`, else one line of totals.
fn b1_text(reports: &[crate::b1::PageReport], all: bool) -> String {
    if all {
        return reports.iter().map(crate::b1::format_report).collect();
    }
    let hints: usize = reports.iter().map(|r| r.hints.len()).sum();
    let below = reports.iter().filter(|r| !r.meets_thresholds()).count();
    if hints == 0 && below == 0 {
        return String::new();
    }
    format!(
        "schrijftips (B1): {hints} tips, {} onder de grenzen (kennisbank check --b1)\n",
        pages_text(below)
    )
}
