//! Secrets stay out: a moto account whose Lambda environment holds recognisable secret values
//! (tests/moto/seed.py `secrets`: a token, an access key id, a private key, and a non-ASCII
//! value that once made the scan panic) is scanned in every output format, collected to a
//! snapshot, and scanned again under deadlines that cut the scan at different points. None
//! of the secret bytes may appear in any report, snapshot, progress line or error message.
//!
//! Needs the venv from tests/moto/requirements.txt (scripts/test.sh makes it).

use vpcaudit_testkit::moto as common;

use common::{MotoServer, REGION, Run};

fn assert_no_secret(seed: &common::Seed, what: &str, text: &str) {
    assert!(!seed.never_printed.is_empty(), "the seed names its secrets");
    for secret in &seed.never_printed {
        assert!(
            !text.contains(secret.as_str()),
            "{what} contains the secret value `{secret}`"
        );
    }
}

#[test]
fn no_output_ever_holds_a_secret_value() {
    let moto = MotoServer::start();
    let seed = moto.seed(&["secrets"]);
    let work = tempfile::tempdir().expect("temp dir");
    let endpoint = moto.endpoint();

    for format in ["json", "sarif", "markdown", "table"] {
        let run = Run::vpcaudit(
            work.path(),
            &[
                "scan",
                "--endpoint-url",
                &endpoint,
                "--region",
                REGION,
                "--format",
                format,
            ],
        );
        // Complete, with the LAM003 findings (exit 1): the values were read, not skipped.
        run.assert_code(1);
        assert!(run.stdout.contains("LAM003"), "{}", run.describe());
        assert_no_secret(&seed, &format!("the {format} report"), &run.stdout);
        assert_no_secret(&seed, &format!("stderr of the {format} scan"), &run.stderr);
    }

    let snapshot = work.path().join("snapshot.json");
    let snapshot_arg = snapshot.to_str().expect("utf-8 path");
    let run = Run::vpcaudit(
        work.path(),
        &[
            "collect",
            "--endpoint-url",
            &endpoint,
            "--region",
            REGION,
            "-o",
            snapshot_arg,
        ],
    );
    run.assert_code(0);
    assert_no_secret(&seed, "stderr of collect", &run.stderr);
    let text = std::fs::read_to_string(&snapshot).expect("collect wrote the snapshot");
    assert_no_secret(&seed, "the snapshot", &text);

    // Scans cut short at different points (the deadline lands before, during or after the
    // Lambda read): whatever is reported, incomplete or not, holds no secret.
    for limit in ["0", "0.05", "0.3", "1"] {
        let run = Run::vpcaudit(
            work.path(),
            &[
                "scan",
                "--endpoint-url",
                &endpoint,
                "--region",
                REGION,
                "--time-limit",
                limit,
                "--format",
                "json",
            ],
        );
        assert!(matches!(run.code, Some(1 | 3)), "{}", run.describe());
        assert_no_secret(&seed, &format!("the report cut at {limit} s"), &run.stdout);
        assert_no_secret(&seed, &format!("stderr cut at {limit} s"), &run.stderr);
    }

    // The endpoint dies while the scan runs, then is gone: failed calls and their error
    // messages quote no secret either.
    let killer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(moto);
    });
    let dying = Run::vpcaudit(
        work.path(),
        &[
            "scan",
            "--endpoint-url",
            &endpoint,
            "--region",
            REGION,
            "--format",
            "table",
        ],
    );
    killer.join().expect("the endpoint is stopped");
    assert!(matches!(dying.code, Some(1 | 3)), "{}", dying.describe());
    let dead = Run::vpcaudit(
        work.path(),
        &[
            "scan",
            "--endpoint-url",
            &endpoint,
            "--region",
            REGION,
            "--format",
            "markdown",
        ],
    );
    dead.assert_code(3);
    for run in [&dying, &dead] {
        assert_no_secret(&seed, "the report of a dying endpoint", &run.stdout);
        assert_no_secret(&seed, "stderr of a dying endpoint", &run.stderr);
    }
}
