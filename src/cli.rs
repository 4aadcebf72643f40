//! Command line: clap definitions and dispatch. Library errors become exit
//! codes here and nowhere else.

// Doc comments on the argument types are clap's --help text, not rustdoc.
#![allow(rustdoc::bare_urls, rustdoc::invalid_html_tags)]

use std::io::IsTerminal;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::error::MessageFormat;
use crate::site::{self, BuildOptions};

/// `0.1.0 (abc1234 2026-12-01)`: the commit comes from build.rs.
pub(crate) const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("KENNISBANK_COMMIT"),
    ")"
);

#[derive(Parser, Debug)]
#[command(name = "kennisbank", version = VERSION, about = "Bouwt een doorzoekbare statische kennisbank uit Markdown", long_about = None)]
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
    /// Begin een nieuwe kennisbank in een lege map
    Init(InitArgs),
    /// Werk met het ingebouwde thema
    #[command(subcommand)]
    Theme(ThemeCommand),
    /// Schrijf het aanvulscript voor een shell naar stdout
    Completions(CompletionsArgs),
    /// Schrijf de handleiding (man-pagina, roff) naar stdout
    Man,
    /// Zet een bestaande site om naar een Kennisbank-site
    #[command(subcommand)]
    Import(ImportCommand),
}

#[derive(Subcommand, Debug)]
pub enum ThemeCommand {
    /// Schrijf het ingebouwde standaardthema naar themes/NAAM/ om het helemaal aan te passen
    Eject(EjectArgs),
}

#[derive(Args, Debug, Clone)]
pub struct EjectArgs {
    /// Naam van de nieuwe themamap (standaard: default, dat dan het ingebouwde vervangt)
    #[arg(default_value = crate::theme::DEFAULT_NAME)]
    pub name: String,
    /// Map van de site
    #[arg(long, short = 'r', default_value = ".")]
    pub root: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct InitArgs {
    /// Map voor de nieuwe site (standaard de huidige; moet leeg zijn of nog niet bestaan)
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Schrijf de volledige VIA-kennisbank als voorbeeld in plaats van een startsite
    #[arg(long)]
    pub example: bool,
}

#[derive(Args, Debug, Clone)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, powershell of elvish
    pub shell: clap_complete::Shell,
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
    /// Meldingen als tekst (human) of als één JSON-object per regel op stdout (json), voor editors
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
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
    /// Schrijf de samenvatting (aantallen, fasen in ms, zoekindex) als JSON naar dit bestand, voor CI en kb-bench
    #[arg(long, value_name = "BESTAND")]
    pub summary_json: Option<PathBuf>,
}

impl CommonArgs {
    pub(crate) fn options(&self) -> BuildOptions {
        BuildOptions {
            root: self.root.clone(),
            output: None,
            base_url: self.base_url.clone(),
            drafts: self.drafts,
            theme: self.theme.clone(),
            search: true,
            strict: self.strict,
            messages: self.message_format,
            // Progress only for a person watching: both streams a terminal.
            progress: self.message_format == MessageFormat::Human
                && std::io::stderr().is_terminal()
                && std::io::stdout().is_terminal(),
        }
    }
}

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Build(args) => {
            let mut opts = args.common.options();
            opts.output = args.output;
            opts.search = !args.no_search;
            config_hint(&opts);
            let result = site::build(&opts);
            if let (Some(path), Ok(r)) = (&args.summary_json, &result) {
                if let Err(e) = std::fs::write(path, r.summary_json().to_string()) {
                    eprintln!(
                        "fout: kan de samenvatting niet schrijven naar {}: {e}\n  = hint: kies een bestand in een map die bestaat",
                        path.display()
                    );
                    return ExitCode::FAILURE;
                }
            }
            report(&opts, result, |r| {
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
        Command::Serve(args) => {
            let build = args.common.options();
            config_hint(&build);
            let bind = match args.bind.as_str() {
                "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
                s => match s.parse() {
                    Ok(ip) => ip,
                    Err(_) => {
                        eprintln!("fout: --bind {s} is geen IP-adres\n  = hint: bijvoorbeeld 127.0.0.1 of 0.0.0.0");
                        return ExitCode::FAILURE;
                    }
                },
            };
            crate::serve::run(crate::serve::ServeOptions {
                build,
                bind,
                port: args.port,
                open: args.open,
            })
        }
        Command::New(args) => {
            let today = chrono::Local::now().date_naive();
            match crate::new::create(&args.root, &args.section, &args.title, today) {
                Ok(path) => {
                    println!("{}", path.display());
                    ExitCode::SUCCESS
                }
                Err(d) => {
                    eprintln!("{d}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Import(ImportCommand::Mkdocs(args)) => import_mkdocs(args),
        Command::Check(args) => {
            let opts = args.common.options();
            config_hint(&opts);
            report(&opts, site::check(&opts), |r| {
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
            })
        }
        Command::Init(args) => crate::init::run(&args.dir, args.example),
        Command::Theme(ThemeCommand::Eject(args)) => eject(&args),
        Command::Completions(args) => {
            clap_complete::generate(
                args.shell,
                &mut Cli::command(),
                "kennisbank",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Command::Man => {
            let man = clap_mangen::Man::new(Cli::command());
            match man.render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("fout: kan de handleiding niet schrijven: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// A folder without kennisbank.yaml builds with the defaults; say once
/// how to get a configuration to change them.
fn config_hint(opts: &BuildOptions) {
    if opts.root.is_dir() && !opts.root.join(crate::config::CONFIG_FILE).exists() {
        eprintln!(
            "hint: geen {} gevonden, standaardinstellingen gebruikt; `kennisbank init` schrijft een configuratie met uitleg",
            crate::config::CONFIG_FILE
        );
    }
}

fn eject(args: &EjectArgs) -> ExitCode {
    match crate::theme::eject(&args.root, &args.name) {
        Ok(files) => {
            let dir = crate::theme::theme_dir(std::path::Path::new(""), &args.name);
            println!(
                "thema geschreven: {} bestanden in {}/",
                files.len(),
                dir.display()
            );
            if args.name == crate::theme::DEFAULT_NAME {
                println!("de site gebruikt nu deze kopie in plaats van het ingebouwde thema");
            } else {
                println!(
                    "zet `theme: {}` in {} om het te gebruiken",
                    args.name,
                    crate::config::CONFIG_FILE
                );
            }
            ExitCode::SUCCESS
        }
        Err(d) => {
            eprintln!("{d}");
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

fn report(
    opts: &BuildOptions,
    result: Result<site::BuildReport, crate::error::BuildFailure>,
    ok: impl Fn(&site::BuildReport) -> String,
) -> ExitCode {
    let format = opts.messages;
    match result {
        Ok(r) => {
            for w in &r.warnings {
                format.emit(w);
            }
            format.say(&ok(&r));
            ExitCode::SUCCESS
        }
        Err(failure) => {
            match format {
                MessageFormat::Human => eprintln!("{failure}"),
                MessageFormat::Json => {
                    for d in &failure.diagnostics {
                        format.emit(d);
                    }
                    let n = failure.errors().count();
                    eprintln!(
                        "build mislukt: {n} {}",
                        if n == 1 { "fout" } else { "fouten" }
                    );
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_version_names_a_commit() {
        assert!(VERSION.starts_with(env!("CARGO_PKG_VERSION")));
        assert!(VERSION.contains(" ("), "{VERSION}");
    }
}
