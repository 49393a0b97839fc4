//! zs-chat keeps its connection to the provider across the rounds of one
//! process (HTTP keep-alive), and gets a new one whenever the server closed
//! it: between rounds, just as a request went out on it, or by holding a
//! stream open after its end. The mock numbers the connections it accepts;
//! by default it closes each after its response.

use crate::harness::{Chat, Run, faulty, status};
use crate::mock::script::{Fault, Reply};
use zerostack::protocol::ROUND_END_LINE as END;

/// `n` rounds of one user line each, every one closed by a round_end.
fn rounds(n: usize) -> String {
    (1..=n).map(|i| format!("round {i}\n{END}\n")).collect()
}

/// Every round was answered with `texts`, in order, with no retry and no
/// error: exit 0, an assistant and a round_end per round.
fn assert_answered(run: &Run, texts: &[&str]) {
    run.assert_code(0);
    assert_eq!(run.stderr, "", "{}", run.dump());
    assert!(run.of_type("retry").is_empty(), "{}", run.dump());
    assert!(run.errors().is_empty(), "{}", run.dump());
    let got: Vec<&str> = run
        .of_type("assistant")
        .iter()
        .map(|a| a["content"][0]["text"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(got, texts, "{}", run.dump());
    assert_eq!(run.of_type("round_end").len(), texts.len());
}

#[test]
fn three_rounds_go_out_on_one_connection_when_the_server_keeps_it() {
    let t = Chat::keep_alive(
        "openai-compatible",
        vec![Reply::text("one"), Reply::text("two"), Reply::text("three")],
    );
    let run = t.run(&[], &rounds(3));
    assert_answered(&run, &["one", "two", "three"]);
    assert_eq!(t.connections(), [1, 1, 1]);
    // Each round's request is its own, whole.
    let reqs = t.requests();
    for (i, r) in reqs.iter().enumerate() {
        let want = format!("round {}", i + 1);
        assert_eq!(r.body["messages"][0]["content"], want.as_str());
    }
}

#[test]
fn every_provider_format_reuses_the_connection_for_the_next_round() {
    // openai-compatible: Chat Completions; openai: Responses; ollama:
    // NDJSON; anthropic and gemini their own SSE.
    for provider in [
        "openai-compatible",
        "openai",
        "anthropic",
        "gemini",
        "ollama",
    ] {
        let t = Chat::keep_alive(provider, vec![Reply::text("first"), Reply::text("second")]);
        let run = t.run(&[], &rounds(2));
        assert_answered(&run, &["first", "second"]);
        assert_eq!(t.connections(), [1, 1], "{provider}");
        run.assert_no_key();
    }
}

#[test]
fn a_server_that_closes_each_connection_gets_a_new_one_every_round() {
    // The mock's default: Connection: close after every response.
    let t = Chat::new(
        "openai-compatible",
        vec![Reply::text("one"), Reply::text("two"), Reply::text("three")],
    );
    let run = t.run(&[], &rounds(3));
    assert_answered(&run, &["one", "two", "three"]);
    assert_eq!(t.connections(), [1, 2, 3]);
}

#[test]
fn a_kept_connection_the_server_closed_between_rounds_is_replaced_without_an_error() {
    // The server says keep-alive and then closes the connection (its idle
    // timeout): the next round goes out on a new one, and the one after
    // that reuses the new one.
    let t = Chat::keep_alive(
        "openai-compatible",
        vec![
            faulty("one", Fault::CloseAfterReply),
            Reply::text("two"),
            Reply::text("three"),
        ],
    );
    let mut live = t.live(&[]);
    live.send(&format!("round 1\n{END}\n"));
    live.wait_for_type("round_end", 1);
    live.send(&format!("round 2\n{END}\nround 3\n{END}\n"));
    live.wait_for_type("round_end", 3);
    let run = live.finish();
    assert_answered(&run, &["one", "two", "three"]);
    assert_eq!(t.connections(), [1, 2, 2]);
}

#[test]
fn a_request_lost_on_a_reused_connection_is_sent_again_at_once_on_a_new_one() {
    // Round 2 goes out on the kept connection, which the server closes as
    // the request comes: sent again on a new connection, no retry event.
    let mut t = Chat::keep_alive(
        "openai-compatible",
        vec![Reply::text("one"), dropped(), Reply::text("two")],
    );
    // With no retries at all: sending again is not a retry.
    t.retry(1, 10, 50);
    let run = t.run(&[], &rounds(2));
    assert_answered(&run, &["one", "two"]);
    assert_eq!(t.connections(), [1, 1, 2]);
    let reqs = t.requests();
    assert_eq!(reqs[1].body, reqs[2].body, "the same request again");
}

/// A reply that closes the connection as its request comes.
fn dropped() -> Reply {
    Reply {
        fault: Some(Fault::Close),
        ..Reply::default()
    }
}

#[test]
fn a_lost_request_is_sent_again_at_once_only_once_then_retried_as_usual() {
    // Round 2: lost on the kept connection (sent again at once), then lost
    // on the new connection too, which is a failure like any other: a
    // retry event and a backoff.
    let t = Chat::keep_alive(
        "openai-compatible",
        vec![Reply::text("one"), dropped(), dropped(), Reply::text("two")],
    );
    let run = t.run(&[], &rounds(2));
    run.assert_code(0);
    let retries = run.of_type("retry");
    assert_eq!(retries.len(), 1, "{}", run.dump());
    assert_eq!(retries[0]["attempt"], 2);
    assert_eq!(retries[0]["max_attempts"], 3);
    assert_eq!(t.connections(), [1, 1, 2, 3]);
    let a = run.of_type("assistant");
    assert_eq!(a.len(), 2);
    assert_eq!(a[1]["content"][0]["text"], "two");
}

#[test]
fn a_request_lost_on_a_new_connection_is_retried_with_an_event() {
    let t = Chat::keep_alive("openai-compatible", vec![dropped(), Reply::text("one")]);
    let run = t.run(&[], &rounds(1));
    run.assert_code(0);
    assert_eq!(run.of_type("retry").len(), 1, "{}", run.dump());
    assert_eq!(t.connections(), [1, 2]);
}

#[test]
fn an_error_response_read_whole_leaves_its_connection_for_the_retry() {
    let t = Chat::keep_alive(
        "openai-compatible",
        vec![status(500, None), Reply::text("one"), Reply::text("two")],
    );
    let run = t.run(&[], &rounds(2));
    run.assert_code(0);
    assert_eq!(run.of_type("retry").len(), 1, "{}", run.dump());
    assert_eq!(t.connections(), [1, 1, 1]);
}

#[test]
fn a_stream_held_open_after_its_end_costs_its_connection_and_later_ones_are_not_read_on() {
    // The reply is whole at its terminal event; the server then keeps the
    // body open. zs-chat answers the round, lets that connection go, and
    // from then on does not read on after a terminal event: each later
    // round connects anew.
    let t = Chat::keep_alive(
        "openai-compatible",
        vec![
            faulty("one", Fault::HoldOpen),
            Reply::text("two"),
            Reply::text("three"),
        ],
    );
    let run = t.run(&[], &rounds(3));
    assert_answered(&run, &["one", "two", "three"]);
    assert_eq!(run.of_type("assistant")[0]["stop"], "end");
    assert_eq!(t.connections(), [1, 2, 3]);
}
