//! Seeds a database with deterministic benchmark data through Portico's own store, and writes
//! the secrets the load generator needs into a folder. Used by `bench/run.sh`.
//!
//! Sizes come from the environment (defaults are issue 10's): BENCH_PRACTICES (40),
//! BENCH_ACCOUNTS (50,000; every account shares one precomputed password hash),
//! BENCH_PATIENTS (100,000), BENCH_REFRESH (1,000,000 live refresh tokens),
//! BENCH_INVITATIONS (100,000 pending), BENCH_OIDC_REFRESH (1,000 refresh tokens for each of two
//! OpenID Connect clients, on top of BENCH_REFRESH). The database is PORTICO_DATABASE_URL, as for
//! `serve`.
//!
//! Usage: `bench_seed <out dir>`; writes admin_keys.txt, usernames.txt (accounts with active
//! access), refresh.txt (a pool of live refresh tokens), invitations.txt, access_ids.txt,
//! patient_ids.txt, oidc_client.txt (client id, then secret) and oidc_refresh.txt (that
//! client's refresh tokens; oidc_ed_* for a second client with EdDSA ID tokens), and prints the argon2 time per hash.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{NaiveDate, TimeDelta};
use portico::clock::{Clock, SystemClock};
use portico::config::Settings;
use portico::crypto::secrets;
use portico::service::practice::practices::{self, NewPractice};
use portico::store::{
    account, invitation, oauth_client, oauth_code, patient, portal_access, refresh_token, session,
};
use sea_orm::{ActiveValue::Set, EntityTrait, TransactionTrait};
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

/// A status, relation or channel column's value from the word it is stored as (the same word
/// as in JSON).
fn stored<T: serde::de::DeserializeOwned>(word: &str) -> T {
    serde_json::from_value(serde_json::Value::String(word.to_owned())).expect("a stored word")
}

/// The password of every seeded account.
pub const PASSWORD: &str = "bench password that is long enough";
const BATCH: usize = 1_000;

fn size(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn write_lines(dir: &std::path::Path, name: &str, lines: &[String]) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join(name))?);
    for l in lines {
        writeln!(f, "{l}")?;
    }
    Ok(())
}

async fn insert_batched<E, A>(db: &sea_orm::DatabaseConnection, rows: Vec<A>) -> anyhow::Result<()>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let txn = db.begin().await?;
        for _ in 0..20 {
            let chunk: Vec<A> = rows.by_ref().take(BATCH).collect();
            if chunk.is_empty() {
                break;
            }
            E::insert_many(chunk).exec_without_returning(&txn).await?;
        }
        txn.commit().await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let out = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "bench-data".into()),
    );
    std::fs::create_dir_all(&out)?;
    let n_practices = size("BENCH_PRACTICES", 40);
    let n_accounts = size("BENCH_ACCOUNTS", 50_000);
    let n_patients = size("BENCH_PATIENTS", 100_000).max(n_accounts);
    let n_refresh = size("BENCH_REFRESH", 1_000_000);
    let n_invitations = size("BENCH_INVITATIONS", 100_000);
    let n_oidc = size("BENCH_OIDC_REFRESH", 1_000);

    let settings = Settings::load(None)?;
    let state = portico::app::build_state(settings, Arc::new(SystemClock)).await?;
    let db = &state.db;
    let now = SystemClock.now();
    let started = Instant::now();

    // The argon2 cost per hash at the configured parameters (A in the report), in CPU time:
    // on a shared machine the wall-clock time of a hash includes waiting for a core, and the
    // report sets A beside logins per server CPU-second.
    let mut cpu = Vec::new();
    let mut wall = Vec::new();
    let mut hash = String::new();
    for _ in 0..9 {
        let (t, c) = (Instant::now(), process_cpu_ns());
        hash = state.hasher.hash(PASSWORD).await?;
        cpu.push(process_cpu_ns().saturating_sub(c) as f64 / 1e6);
        wall.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    cpu.sort_by(f64::total_cmp);
    wall.sort_by(f64::total_cmp);
    println!("argon2_ms {:.2}", cpu[cpu.len() / 2]);
    println!("argon2_wall_ms {:.2}", wall[wall.len() / 2]);

    let mut practice_ids = Vec::new();
    let mut keys = Vec::new();
    for i in 0..n_practices {
        let new = NewPractice::parse(
            &format!("bench-clinic-{i:02}"),
            &format!("Bench Clinic {i:02}"),
            &format!("555-01{i:02}"),
            None,
        )?;
        let (p, key) = practices::create(db, new, now).await?;
        practice_ids.push(p.id);
        keys.push(key);
    }
    write_lines(&out, "admin_keys.txt", &keys)?;

    // Patients: round-robin over practices; the first n_accounts have an account each.
    let dob = NaiveDate::from_ymd_opt(1980, 1, 1).unwrap();
    let patient_ids: Vec<Uuid> = (0..n_patients).map(|_| Uuid::now_v7()).collect();
    let practice_of = |i: usize| practice_ids[i % n_practices];
    let patients = patient_ids
        .iter()
        .enumerate()
        .map(|(i, id)| patient::ActiveModel {
            id: Set(*id),
            practice_id: Set(practice_of(i)),
            first_name: Set(format!("Pat{i}")),
            last_name: Set(format!("Bench{}", i % 997)),
            first_name_folded: Set(format!("pat{i}")),
            last_name_folded: Set(format!("bench{}", i % 997)),
            date_of_birth: Set(dob + TimeDelta::days((i % 15_000) as i64)),
            email: Set(Some(format!("pat{i}@example.org"))),
            email_folded: Set(Some(format!("pat{i}@example.org"))),
            self_registered: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    insert_batched(db, patients.collect()).await?;
    let first_practice: Vec<String> = (0..n_patients)
        .filter(|i| i % n_practices == 0)
        .map(|i| patient_ids[i].to_string())
        .collect();
    write_lines(&out, "patient_ids.txt", &first_practice)?;

    let account_ids: Vec<Uuid> = (0..n_accounts).map(|_| Uuid::now_v7()).collect();
    let accounts = account_ids
        .iter()
        .enumerate()
        .map(|(i, id)| account::ActiveModel {
            id: Set(*id),
            username: Set(format!("bench.user{i}")),
            username_folded: Set(format!("bench.user{i}")),
            email: Set(Some(format!("pat{i}@example.org"))),
            email_folded: Set(Some(format!("pat{i}@example.org"))),
            email_verified_at: Set(Some(now)),
            first_name: Set(Some(format!("Pat{i}"))),
            last_name: Set(Some(format!("Bench{}", i % 997))),
            password_hash: Set(hash.clone()),
            password_changed_at: Set(now),
            must_change_password: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    insert_batched(db, accounts.collect()).await?;

    // Access: active for the accounts, every 20th blocked and every 50th revoked; the other
    // patients are invited.
    let access = |i: usize, account: Option<Uuid>, relation: &str, status: &str| {
        portal_access::ActiveModel {
            id: Set(Uuid::now_v7()),
            practice_id: Set(practice_of(i)),
            patient_id: Set(patient_ids[i]),
            account_id: Set(account),
            relation: Set(stored(relation)),
            status: Set(stored(status)),
            invited_at: Set(Some(now)),
            registered_at: Set(account.map(|_| now)),
            blocked_at: Set((status == "blocked").then_some(now)),
            revoked_at: Set((status == "revoked").then_some(now)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
    };
    let status_of = |i: usize| match i {
        i if i % 50 == 49 => "revoked",
        i if i % 20 == 19 => "blocked",
        _ => "active",
    };
    let mut rows = Vec::new();
    let mut usernames = Vec::new();
    let mut access_ids = Vec::new();
    for (i, account_id) in account_ids.iter().enumerate() {
        let row = access(i, Some(*account_id), "self", status_of(i));
        if status_of(i) == "active" {
            usernames.push(format!("bench.user{i}"));
            if i % n_practices == 0 {
                access_ids.push(row.id.clone().unwrap().to_string());
            }
        }
        rows.push(row);
    }
    // Pending invitations: the patients without an account, then caregivers of the others.
    let mut invitations = Vec::new();
    let mut invitation_tokens = Vec::new();
    for k in 0..n_invitations {
        let i = (n_accounts + k) % n_patients;
        let relation = if i >= n_accounts && k < n_patients {
            "self"
        } else {
            "caregiver"
        };
        let row = access(i, None, relation, "invited");
        let token = secrets::new_token();
        invitations.push(invitation::ActiveModel {
            id: Set(Uuid::now_v7()),
            practice_id: Set(practice_of(i)),
            patient_id: Set(patient_ids[i]),
            access_id: Set(row.id.clone().unwrap()),
            channel: Set(stored("email")),
            relation: Set(stored(relation)),
            recipient_first_name: Set((relation != "self").then(|| "Casey".to_owned())),
            recipient_email: Set((relation != "self").then(|| format!("carer{k}@example.org"))),
            token_hash: Set(secrets::hash_token(&token)),
            expires_at: Set(now + TimeDelta::days(30)),
            created_by: Set("bench".into()),
            created_at: Set(now),
            failed_attempts: Set(0),
            ..Default::default()
        });
        if invitation_tokens.len() < 100_000 {
            invitation_tokens.push(token);
        }
        rows.push(row);
    }
    insert_batched(db, rows).await?;
    insert_batched(db, invitations).await?;
    write_lines(&out, "usernames.txt", &usernames)?;
    write_lines(&out, "access_ids.txt", &access_ids)?;
    write_lines(&out, "invitations.txt", &invitation_tokens)?;

    // Live refresh tokens, one session each, spread over the accounts with active access.
    let active: Vec<usize> = (0..n_accounts)
        .filter(|i| status_of(*i) == "active")
        .collect();
    let mut pool = Vec::new();
    let mut remaining = n_refresh;
    while remaining > 0 {
        let take = remaining.min(BATCH * 20);
        let mut sessions = Vec::with_capacity(take);
        let mut tokens = Vec::with_capacity(take);
        for k in 0..take {
            let i = active[(n_refresh - remaining + k) % active.len()];
            let sid = Uuid::now_v7();
            sessions.push(session::ActiveModel {
                id: Set(sid),
                account_id: Set(account_ids[i]),
                practice_id: Set(practice_of(i)),
                client_id: Set(None),
                scope: Set(portico::auth::tokens::PORTAL_SCOPE.to_owned()),
                amr: Set("pwd".into()),
                auth_time: Set(now),
                created_at: Set(now),
                expires_at: Set(now + TimeDelta::days(30)),
                ..Default::default()
            });
            let token = secrets::new_token();
            tokens.push(refresh_token::ActiveModel {
                id: Set(Uuid::now_v7()),
                session_id: Set(sid),
                token_hash: Set(secrets::hash_token(&token)),
                created_at: Set(now),
                idle_expires_at: Set(now + TimeDelta::days(14)),
                used_at: Set(None),
            });
            if pool.len() < 200_000 {
                pool.push(token);
            }
        }
        insert_batched(db, sessions).await?;
        insert_batched(db, tokens).await?;
        remaining -= take;
    }
    write_lines(&out, "refresh.txt", &pool)?;

    // Two OpenID Connect clients of the first practice, one signing ID tokens with RS256 (the
    // default) and one with EdDSA, and refresh tokens of sessions each started by the code
    // flow (with its spent code, as the flow leaves it), for the accounts with active access
    // there.
    let at_first: Vec<usize> = active
        .iter()
        .copied()
        .filter(|i| i % n_practices == 0)
        .collect();
    for (client_id, alg, file) in [
        ("ptcc_bench", "RS256", "oidc"),
        ("ptcc_bench_ed", "EdDSA", "oidc_ed"),
    ] {
        let client_pk = Uuid::now_v7();
        let client_secret = format!("ptcs_{}", secrets::new_token());
        oauth_client::Entity::insert(oauth_client::ActiveModel {
            id: Set(client_pk),
            client_id: Set(client_id.to_owned()),
            practice_id: Set(practice_ids[0]),
            name: Set(format!("Bench relying party {alg}")),
            public: Set(false),
            secret_hash: Set(Some(secrets::hash_token(&client_secret))),
            redirect_uris: Set(r#"["https://rp.example/cb"]"#.into()),
            post_logout_redirect_uris: Set("[]".into()),
            scopes: Set(r#"["openid","offline_access","profile","email"]"#.into()),
            id_token_alg: Set(alg.into()),
            token_endpoint_auth_method: Set("client_secret_basic".into()),
            jwks: Set(None),
            backend_service: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(db)
        .await?;
        write_lines(
            &out,
            &format!("{file}_client.txt"),
            &[client_id.to_owned(), client_secret],
        )?;
        let (mut sessions, mut codes, mut tokens, mut pool) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for k in 0..n_oidc {
            let i = at_first[k % at_first.len()];
            let sid = Uuid::now_v7();
            let scope = "openid offline_access profile email";
            sessions.push(session::ActiveModel {
                id: Set(sid),
                account_id: Set(account_ids[i]),
                practice_id: Set(practice_ids[0]),
                client_id: Set(Some(client_id.to_owned())),
                scope: Set(scope.into()),
                amr: Set("pwd".into()),
                auth_time: Set(now),
                created_at: Set(now),
                expires_at: Set(now + TimeDelta::days(30)),
                ..Default::default()
            });
            codes.push(oauth_code::ActiveModel {
                id: Set(Uuid::now_v7()),
                code_hash: Set(secrets::hash_token(&secrets::new_token())),
                client_pk: Set(client_pk),
                redirect_uri: Set("https://rp.example/cb".into()),
                code_challenge: Set("bench".into()),
                nonce: Set(None),
                account_id: Set(account_ids[i]),
                practice_id: Set(practice_ids[0]),
                patient_id: Set(Some(patient_ids[i])),
                scope: Set(scope.into()),
                auth_time: Set(now),
                amr: Set("pwd".into()),
                created_at: Set(now),
                expires_at: Set(now),
                used_at: Set(Some(now)),
                session_id: Set(Some(sid)),
                encounter: Set(None),
            });
            let token = secrets::new_token();
            tokens.push(refresh_token::ActiveModel {
                id: Set(Uuid::now_v7()),
                session_id: Set(sid),
                token_hash: Set(secrets::hash_token(&token)),
                created_at: Set(now),
                idle_expires_at: Set(now + TimeDelta::days(14)),
                used_at: Set(None),
            });
            pool.push(token);
        }
        insert_batched(db, sessions).await?;
        insert_batched(db, codes).await?;
        insert_batched(db, tokens).await?;
        write_lines(&out, &format!("{file}_refresh.txt"), &pool)?;
    }
    println!(
        "seeded {n_practices} practices, {n_accounts} accounts, {n_patients} patients, \
         {n_refresh} refresh tokens (+{n_oidc} for each of 2 OIDC clients), {n_invitations} invitations \
         in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// CPU time of every thread of this process so far, in nanoseconds (Linux: the first field of
/// each thread's `schedstat`); 0 where it cannot be read.
fn process_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}
