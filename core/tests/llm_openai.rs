//! The LLM agent against an OpenAI-compatible server that this test runs on 127.0.0.1: malformed
//! replies, HTTP errors and timeouts use up the retry budget and reach the critic as drops; good
//! answers become facets with provenance and are cached, so a rerun sends no request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reaseq_core::data::load::load_csv_bytes;
use reaseq_core::data::LoadOptions;
use reaseq_core::knowledge::llm::openai::OpenAiBackend;
use reaseq_core::knowledge::llm::{LlmAgent, LlmCache, LlmFacet};
use reaseq_core::knowledge::{build_cards, Agent, CatalogAgent, Critic};

enum Reply {
    Ok(&'static str),
    Status(u16),
    Hang,
}

/// Serves `script` in order, one request per connection, then stops. Returns the base URL and
/// the number of requests served so far.
fn server(script: Vec<Reply>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for reply in script {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let count = count.clone();
            // One thread per connection, so a hanging reply does not hold up the next request.
            std::thread::spawn(move || answer(stream, reply, &count));
        }
    });
    (url, served)
}

fn answer(mut stream: std::net::TcpStream, reply: Reply, count: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    let _ = reader.read_exact(&mut body);
    count.fetch_add(1, Ordering::SeqCst);
    let (status, content) = match reply {
        Reply::Ok(text) => (
            200,
            serde_json::json!({"choices": [{"message": {"role": "assistant", "content": text}}]})
                .to_string(),
        ),
        Reply::Status(code) => (code, "{\"error\": \"overloaded\"}".to_owned()),
        Reply::Hang => {
            std::thread::sleep(Duration::from_millis(1500));
            return;
        }
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{content}",
        content.len()
    );
}

#[test]
fn retries_then_caches_and_the_critic_records_what_failed() {
    let items: &[u8] =
        b"item_id,title,genres,year\na,Toy Story,Animation|Comedy,1995\nb,Heat,Crime,1995\n";
    let inter: &[u8] = b"user_id,item_id,timestamp\nu,a,1\nu,b,2\n";
    let ds = load_csv_bytes(
        "toy",
        ("interactions.csv", inter),
        Some(("items.csv", items)),
        LoadOptions::default(),
    )
    .unwrap()
    .dataset;
    let good = "A computer-animated film about toys.\nANSWER: {\"audience\": [\"children\", \"families\"]}";
    // Attempt 1: a malformed, b HTTP 503. Attempt 2: a good, b times out. Attempt 3: b malformed.
    let (url, served) = server(vec![
        Reply::Ok("Children would love it."),
        Reply::Status(503),
        Reply::Ok(good),
        Reply::Hang,
        Reply::Ok("ANSWER: {\"audience\": \"everyone\"}"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let cache_path = dir.path().join("llm.jsonl");
    let backend = OpenAiBackend::new(&url, "test-model", None, Duration::from_millis(400));
    let llm = LlmAgent::new(
        LlmFacet::Audience,
        Box::new(backend),
        LlmCache::open(&cache_path).unwrap(),
    );
    let mut agents: Vec<Box<dyn Agent>> = vec![Box::new(CatalogAgent), Box::new(llm)];
    let cards = build_cards(&ds, &mut agents, &Critic).unwrap();
    assert_eq!(served.load(Ordering::SeqCst), 5);

    let a = &cards[0];
    let audience = a.facet("audience").expect("a has an audience facet");
    assert_eq!(audience.values, ["children", "families"]);
    assert_eq!(audience.provenance.model.as_deref(), Some("test-model"));
    assert_eq!(
        audience.provenance.reasoning.as_deref(),
        Some("A computer-animated film about toys.")
    );
    assert!(a.text().contains("audience: children, families"));

    let b = &cards[1];
    assert!(b.facet("audience").is_none());
    let drop = b
        .dropped
        .iter()
        .find(|d| d.facet == "audience")
        .expect("b's failure is recorded");
    assert!(
        drop.reason
            .starts_with("malformed answer: the answer has no \"audience\" list"),
        "{}",
        drop.reason
    );

    // A rerun answers a from the cache, without a request.
    let backend = OpenAiBackend::new(&url, "test-model", None, Duration::from_millis(400));
    let mut llm = LlmAgent::new(
        LlmFacet::Audience,
        Box::new(backend),
        LlmCache::open(&cache_path).unwrap(),
    );
    llm.retries = 0;
    let facets = llm.describe_batch(&ds, &[0]).unwrap();
    assert_eq!(facets[0][0].values, ["children", "families"]);
    assert_eq!(served.load(Ordering::SeqCst), 5, "cached: no request");
}
