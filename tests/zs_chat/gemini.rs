//! zs-chat against the Gemini API (the `gemini` provider), through the mock
//! model: what comes out on stdout, and the exact request that went in. The
//! first tests check the mock's rendering of the format.

use crate::harness::*;
use crate::mock::script::{Call, Fault, Reply, Script, Usage};
use crate::mock::server::MockServer;
use serde_json::{Value, json};

const PATH: &str = "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse";

fn mock_post(reply: Reply) -> (Vec<(String, String)>, String) {
    let m = MockServer::start(Script {
        replies: vec![reply],
        repeat_last: false,
    });
    let (status, headers, body) = raw_post(&m.url(), PATH, r#"{"contents":[]}"#, &[]);
    assert_eq!(status, 200, "{body}");
    (headers, body)
}

/// The data of each event; every event must be framed with CRLFs.
fn chunks(body: &str) -> Vec<Value> {
    assert!(body.ends_with("\r\n\r\n"), "{body:?}");
    body.split("\r\n\r\n")
        .filter(|e| !e.is_empty())
        .map(|e| {
            let d = e
                .strip_prefix("data: ")
                .unwrap_or_else(|| panic!("not a data event: {e:?}"));
            serde_json::from_str(d).unwrap_or_else(|err| panic!("{d}: {err}"))
        })
        .collect()
}

fn parts(c: &Value) -> &Value {
    &c["candidates"][0]["content"]["parts"]
}

#[test]
fn mock_renders_whole_chunks_with_signed_calls_and_cumulative_usage() {
    let (headers, body) = mock_post(Reply {
        reasoning: "Hmm.".into(),
        signature: Some("SIG".into()),
        text: "Two calls".into(),
        tool_calls: vec![
            Call {
                id: "fc_A".into(),
                name: "read".into(),
                arguments: json!({"path": "a"}),
            },
            Call {
                id: "fc_B".into(),
                name: "list".into(),
                arguments: Value::Null,
            },
        ],
        usage: Usage {
            input: 100,
            output: 17,
            cache_read: 60,
            cache_write: 0,
            reasoning: 5,
        },
        chunk: 5,
        ..Reply::default()
    });
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "text/event-stream")
    );
    let cs = chunks(&body);
    // 1 thought piece, 2 text pieces, 1 chunk of calls, 1 last chunk.
    assert_eq!(cs.len(), 5, "{body}");
    assert_eq!(parts(&cs[0]), &json!([{"text":"Hmm.","thought":true}]));
    assert_eq!(parts(&cs[1]), &json!([{"text":"Two c"}]));
    assert_eq!(
        parts(&cs[3]),
        &json!([
            {"functionCall":{"id":"fc_A","name":"read","args":{"path":"a"}},"thoughtSignature":"SIG"},
            {"functionCall":{"id":"fc_B","name":"list","args":{}}}
        ])
    );
    let last = &cs[4];
    assert_eq!(parts(last), &json!([{"text":""}]));
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(
        last["usageMetadata"],
        json!({"promptTokenCount":100,"candidatesTokenCount":12,"thoughtsTokenCount":5,"cachedContentTokenCount":60,"totalTokenCount":117})
    );
    assert!(
        cs[..4]
            .iter()
            .all(|c| c["candidates"][0].get("finishReason").is_none())
    );
}

#[test]
fn mock_renders_a_signature_on_a_last_empty_part_errors_and_error_bodies() {
    let (_, body) = mock_post(Reply {
        text: "hi".into(),
        signature: Some("TSIG".into()),
        stop: Some("length".into()),
        ..Reply::default()
    });
    let cs = chunks(&body);
    let last = cs.last().unwrap();
    assert_eq!(parts(last), &json!([{"text":"","thoughtSignature":"TSIG"}]));
    assert_eq!(last["candidates"][0]["finishReason"], "MAX_TOKENS");

    let (_, body) = mock_post(Reply {
        text: "abcdef".into(),
        fault: Some(Fault::StreamError {
            after: 1,
            message: "boom".into(),
        }),
        ..Reply::default()
    });
    let cs = chunks(&body);
    assert_eq!(cs.len(), 2);
    assert_eq!(
        cs[1],
        json!({"error":{"code":500,"message":"boom","status":"INTERNAL"}})
    );

    let m = MockServer::start(Script {
        replies: vec![Reply {
            fault: Some(Fault::Status {
                status: 429,
                retry_after: None,
                body: None,
            }),
            ..Reply::default()
        }],
        repeat_last: false,
    });
    let (status, _, body) = raw_post(&m.url(), PATH, "{}", &[]);
    assert_eq!(status, 429);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], 429);
    assert_eq!(v["error"]["status"], "RESOURCE_EXHAUSTED");
}
