//! identity-admin: users, services, machine clients and signing keys of the
//! identity worker, against the local or the deployed D1 through wrangler.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{SystemTime, UNIX_EPOCH};

use identity_worker::admin::{self, InputError, NewService};
use identity_worker::passwords::{check_new_password, HashPolicy};
use identity_worker::random::sha256_hex;

const USAGE: &str = "\
identity-admin: manage the identity worker's users, services, clients and keys

Database commands run `wrangler d1 execute` on the identity database; add
--remote for the deployed one (default: --local, the `wrangler dev` state).
Passwords are read from a prompt, or from standard input when it is not a
terminal; never from the command line.

  user add NAME                 create a user (asks for the password)
  user import NAME --hash PHC   create a user with an existing PBKDF2 hash
  user set-password NAME        replace a user's password
  user disable NAME             refuse sign-in and end the user's sessions
  user enable NAME
  user list
  service add AUDIENCE --name NAME --cookie COOKIE --path PATH --prefix URL [--prefix URL]
                                register a service people sign in to
  service list
  client create ID --subject NAME --audience AUD [--audience AUD]
                                create a machine client; prints its secret once
  client revoke ID
  client list
  keys generate [--kid KID]     print a new private key set (SIGNING_KEYS)
  keys rotate [--kid KID]       read the private set on stdin, print it rotated
  keys public                   read the private set on stdin, print the public
                                set (VERIFICATION_KEYS for the verifiers)
  hash                          read a password on stdin, print its PHC hash

Options: --local | --remote, --persist-to DIR (local state directory),
         --config FILE (default: the wrangler.toml above the current directory)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("identity-admin: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Command-line words split into positional words and `--name value` options.
struct Args {
    words: Vec<String>,
    options: Vec<(String, String)>,
    flags: Vec<String>,
}

impl Args {
    fn parse(raw: Vec<String>) -> Result<Self, String> {
        const FLAGS: [&str; 3] = ["--local", "--remote", "--help"];
        let mut words = Vec::new();
        let mut options = Vec::new();
        let mut flags = Vec::new();
        let mut iter = raw.into_iter();
        while let Some(arg) = iter.next() {
            if FLAGS.contains(&arg.as_str()) || arg == "-h" {
                flags.push(arg);
            } else if let Some(name) = arg.strip_prefix("--") {
                let value = iter.next().ok_or(format!("--{name} needs a value"))?;
                options.push((name.to_owned(), value));
            } else {
                words.push(arg);
            }
        }
        Ok(Self {
            words,
            options,
            flags,
        })
    }

    fn one(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn required(&self, name: &str) -> Result<String, String> {
        self.one(name)
            .map(str::to_owned)
            .ok_or(format!("--{name} is required"))
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.options
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn word(&self, index: usize, what: &str) -> Result<&str, String> {
        self.words
            .get(index)
            .map(String::as_str)
            .ok_or(format!("missing {what}\n\n{USAGE}"))
    }
}

fn run(raw: Vec<String>) -> Result<(), String> {
    let args = Args::parse(raw)?;
    if args.words.is_empty() || args.flags.iter().any(|f| f == "--help" || f == "-h") {
        print!("{USAGE}");
        return Ok(());
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs() as i64;
    let input = |e: InputError| e.to_string();
    let policy = HashPolicy::default();

    let command = (
        args.word(0, "a command")?,
        args.words.get(1).map(String::as_str),
    );
    match command {
        ("user", Some("add")) => {
            let name = args.word(2, "the username")?;
            admin::check_username(name).map_err(input)?;
            let hash = new_password_hash(&policy, true)?;
            d1(&args, &admin::add_user(name, &hash, now).map_err(input)?)?;
            eprintln!("user {name} created");
        }
        ("user", Some("import")) => {
            let name = args.word(2, "the username")?;
            let hash = args.required("hash")?;
            // Refuse hashes the worker would refuse, before they reach the database.
            policy
                .verify("", &hash)
                .map_err(|e| format!("that hash cannot be used: {e}"))?;
            d1(&args, &admin::add_user(name, &hash, now).map_err(input)?)?;
            eprintln!("user {name} imported; the hash is upgraded at their next sign-in");
        }
        ("user", Some("set-password")) => {
            let name = args.word(2, "the username")?;
            admin::check_username(name).map_err(input)?;
            let hash = new_password_hash(&policy, true)?;
            d1(
                &args,
                &admin::set_password(name, &hash, now).map_err(input)?,
            )?;
            eprintln!("password of {name} replaced");
        }
        ("user", Some(action @ ("disable" | "enable"))) => {
            let name = args.word(2, "the username")?;
            let sql = admin::set_disabled(name, action == "disable", now).map_err(input)?;
            d1(&args, &sql)?;
            eprintln!("user {name} {action}d");
        }
        ("user", Some("list")) => d1_print(
            &args,
            "SELECT username, disabled, datetime(created_at, 'unixepoch') AS created, \
             datetime(password_changed_at, 'unixepoch') AS password_changed \
             FROM users ORDER BY username;",
        )?,
        ("service", Some("add")) => {
            let service = NewService {
                audience: args.word(2, "the audience")?.to_owned(),
                display_name: args.required("name")?,
                cookie_name: args.required("cookie")?,
                cookie_path: args.required("path")?,
                prefixes: args.all("prefix"),
            };
            d1(&args, &admin::add_service(&service, now).map_err(input)?)?;
            eprintln!("service {} registered", service.audience);
        }
        ("service", Some("list")) => d1_print(
            &args,
            "SELECT s.audience, s.display_name, s.cookie_name, s.cookie_path, p.prefix \
             FROM services s LEFT JOIN service_return_prefixes p ON p.audience = s.audience \
             ORDER BY s.audience, p.prefix;",
        )?,
        ("client", Some("create")) => {
            let id = args.word(2, "the client id")?;
            let secret = admin::new_client_secret().map_err(input)?;
            let sql = admin::add_client(
                id,
                &sha256_hex(&secret),
                &args.required("subject")?,
                &args.all("audience"),
                now,
            )
            .map_err(input)?;
            d1(&args, &sql)?;
            eprintln!("client {id} created; its secret is shown once, store it now:");
            println!("{secret}");
        }
        ("client", Some("revoke")) => {
            let id = args.word(2, "the client id")?;
            d1(&args, &admin::revoke_client(id, now).map_err(input)?)?;
            eprintln!("client {id} revoked");
        }
        ("client", Some("list")) => d1_print(
            &args,
            "SELECT c.client_id, c.subject, group_concat(a.audience) AS audiences, \
             datetime(c.last_used_at, 'unixepoch') AS last_used, \
             datetime(c.revoked_at, 'unixepoch') AS revoked \
             FROM service_clients c LEFT JOIN service_client_audiences a \
             ON a.client_id = c.client_id GROUP BY c.client_id ORDER BY c.client_id;",
        )?,
        ("keys", Some("generate")) => {
            let kid = key_id(&args, now);
            println!("{}", admin::generate_keys(&kid).map_err(input)?.to_jwks());
        }
        ("keys", Some("rotate")) => {
            let kid = key_id(&args, now);
            let private = read_stdin()?;
            println!(
                "{}",
                admin::rotate_keys(&private, &kid).map_err(input)?.to_jwks()
            );
        }
        ("keys", Some("public")) => {
            let private = read_stdin()?;
            let set = aurora_auth::SigningKeySet::from_jwks(&private).map_err(|e| e.to_string())?;
            println!("{}", set.public_jwks());
        }
        ("hash", _) => println!("{}", new_password_hash(&policy, false)?),
        _ => return Err(format!("unknown command\n\n{USAGE}")),
    }
    Ok(())
}

fn key_id(args: &Args, now: i64) -> String {
    args.one("kid")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("k{now}"))
}

/// Reads a new password (prompting twice on a terminal) and hashes it.
fn new_password_hash(policy: &HashPolicy, enforce_length: bool) -> Result<String, String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the two passwords differ".into());
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if enforce_length {
        check_new_password(&password).map_err(|e| e.to_string())?;
    }
    policy.hash(&password).map_err(|e| e.to_string())
}

fn read_stdin() -> Result<String, String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    Ok(text)
}

/// The wrangler.toml above the current directory, or the one named by --config.
fn config_path(args: &Args) -> Result<PathBuf, String> {
    if let Some(path) = args.one("config") {
        return Ok(PathBuf::from(path));
    }
    let mut dir = std::env::current_dir().map_err(|e| e.to_string())?;
    loop {
        let candidate = dir.join("wrangler.toml");
        if candidate.is_file() {
            return Ok(candidate);
        }
        if !dir.pop() {
            return Err("no wrangler.toml here or above; pass --config".into());
        }
    }
}

fn wrangler(args: &Args, sql: &str, json: bool) -> Result<String, String> {
    let config = config_path(args)?;
    let root = config.parent().unwrap_or(Path::new("."));
    let local_bin = root.join("node_modules/.bin/wrangler");
    let mut cmd = if local_bin.is_file() {
        Command::new(local_bin)
    } else {
        let mut npx = Command::new("npx");
        npx.arg("wrangler");
        npx
    };
    cmd.current_dir(root)
        .args(["d1", "execute", "DB", "--env", "identity", "--config"])
        .arg(&config)
        .arg(if args.flags.iter().any(|f| f == "--remote") {
            "--remote"
        } else {
            "--local"
        })
        .args(["--command", sql]);
    if let Some(dir) = args.one("persist-to") {
        cmd.args(["--persist-to", dir]);
    }
    if json {
        cmd.arg("--json");
    } else {
        cmd.arg("--yes");
    }
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run wrangler: {e}"))?;
    if !output.status.success() {
        std::io::stderr().write_all(&output.stdout).ok();
        std::io::stderr().write_all(&output.stderr).ok();
        return Err("wrangler d1 execute failed (output above)".into());
    }
    String::from_utf8(output.stdout).map_err(|e| e.to_string())
}

fn d1(args: &Args, sql: &str) -> Result<(), String> {
    wrangler(args, sql, true).map(|_| ())
}

/// Runs a query and prints its rows as a table.
fn d1_print(args: &Args, sql: &str) -> Result<(), String> {
    let out = wrangler(args, sql, true)?;
    let parsed: serde_json::Value =
        serde_json::from_str(&out).map_err(|e| format!("unexpected wrangler output: {e}"))?;
    let rows = parsed
        .get(0)
        .and_then(|r| r.get("results"))
        .and_then(|r| r.as_array())
        .cloned()
        .unwrap_or_default();
    if rows.is_empty() {
        println!("(none)");
        return Ok(());
    }
    for row in rows {
        if let Some(object) = row.as_object() {
            let cells: Vec<String> = object
                .iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => format!("{k}={s}"),
                    other => format!("{k}={other}"),
                })
                .collect();
            println!("{}", cells.join("  "));
        }
    }
    Ok(())
}
