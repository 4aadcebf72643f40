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
    Check(CommonArgs),
    /// Start een lokale voorbeeldserver die bij elke wijziging herlaadt
    Serve(ServeArgs),
    /// Maak een nieuwe pagina in een sectie, met alle verplichte velden
    New(NewArgs),
    /// Zet een bestaande site om naar een Kennisbank-site
    #[command(subcommand)]
    Import(ImportCommand),
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Uit een MkDocs-project: kennisbank import mkdocs mkdocs.yml --out MAP
    Mkdocs(ImportMkdocsArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ImportMkdocsArgs {
    /// Het mkdocs.yml van het project
    pub config: PathBuf,
    /// Nieuwe (lege) map voor de Kennisbank-site
    #[arg(long)]
    pub out: PathBuf,
    /// Themamap om mee te kopiëren, bv. themes/default van Kennisbank
    #[arg(long)]
    pub theme: Option<PathBuf>,
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
                line
            })
        }
        Command::Serve(args) => crate::serve::run(args),
        Command::New(args) => crate::new::run(args),
        Command::Import(ImportCommand::Mkdocs(args)) => import_mkdocs(args),
        Command::Check(args) => report(site::check(&args.options()), |r| {
            format!(
                "geen fouten: {} pagina's, {} secties gecontroleerd",
                r.pages, r.sections
            )
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

fn import_mkdocs(args: ImportMkdocsArgs) -> ExitCode {
    use crate::import_mkdocs::{import, ImportOptions};
    let opts = ImportOptions {
        config: args.config,
        out: args.out,
        theme: args.theme,
    };
    match import(&opts) {
        Ok(r) => {
            println!(
                "geïmporteerd naar {}: {} pagina's, {} andere bestanden, {} velden in het schema{}",
                opts.out.display(),
                r.pages,
                r.assets,
                r.fields,
                if r.taxonomies.is_empty() {
                    String::new()
                } else {
                    format!(" (taxonomieën: {})", r.taxonomies.join(", "))
                }
            );
            if !r.carried.is_empty() {
                println!("overgenomen:");
                for c in &r.carried {
                    println!("  - {c}");
                }
            }
            if !r.advice.is_empty() {
                println!(
                    "niet overgenomen ({}), wat u in plaats daarvan doet:",
                    r.advice.len()
                );
                for a in &r.advice {
                    println!("  - {}\n    → {}", a.what, a.todo);
                }
            }
            println!(
                "volgende stap: kennisbank build --root {}",
                opts.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(d) => {
            eprintln!("{d}");
            ExitCode::FAILURE
        }
    }
}
