//! The HTTP client of MO webhooks and status callbacks: hyper's pooled HTTP/1.1 client over
//! rustls (webpki roots) for `https`, with `TCP_NODELAY`, one request per kept-alive
//! connection at a time, and no redirects followed (a 3xx is the answer: a `POST` replayed as
//! a `GET` after a 301/302 would lose its body while looking delivered).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;

/// The `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("shortcode-router/", env!("CARGO_PKG_VERSION"));

/// A pooled HTTP/1.1 client for `http` and `https` URLs.
pub type Client =
    hyper_util::client::legacy::Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A client whose connections must be up within `connect_timeout`, keeping at most
/// `max_idle_per_host` idle connections per host. Fails only when TLS cannot be set up.
pub fn client(connect_timeout: Duration, max_idle_per_host: usize) -> Result<Client, String> {
    let mut http = HttpConnector::new();
    http.set_connect_timeout(Some(connect_timeout));
    http.set_nodelay(true);
    http.enforce_http(false);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(Arc::new(rustls::crypto::ring::default_provider()))
        .map_err(|e| format!("TLS: {e}"))?
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .pool_max_idle_per_host(max_idle_per_host)
            .build(https),
    )
}

/// `url` as a request target: as it is when it is one, else as `reqwest::Url` writes it
/// (percent-encoded), which is how configs and API requests check URLs.
pub fn target(url: &str) -> Result<http::Uri, String> {
    url.parse::<http::Uri>().or_else(|_| {
        reqwest::Url::parse(url)
            .map_err(|e| format!("bad URL: {e}"))?
            .as_str()
            .parse::<http::Uri>()
            .map_err(|e| format!("bad URL: {e}"))
    })
}

/// An error with its causes, `a: b: c`.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// An answer: its status, `Content-Type` and body (at most the `max_body` asked for).
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: http::StatusCode,
    /// The `Content-Type`, when there is one.
    pub content_type: Option<String>,
    /// The body, or `None` when it was longer than asked for or broke off.
    pub body: Option<Bytes>,
}

/// Sends `req` and reads the answer to the end (so that the connection can be used again),
/// all within `timeout`. The error says what failed (`no answer within ...`, or the cause).
pub async fn exchange(
    client: &Client,
    req: http::Request<Full<Bytes>>,
    timeout: Duration,
    max_body: usize,
) -> Result<Answer, String> {
    let work = async {
        let answer = client.request(req).await.map_err(|e| chain(&e))?;
        let status = answer.status();
        let content_type = answer
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = Limited::new(answer.into_body(), max_body)
            .collect()
            .await
            .ok()
            .map(|b| b.to_bytes());
        Ok(Answer {
            status,
            content_type,
            body,
        })
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| format!("no answer within {} ms", timeout.as_millis()))?
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A server that reads one request per connection and answers `answer` after `delay`.
    async fn server(answer: &'static str, delay: Duration) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let _ = s.read(&mut buf).await;
                    tokio::time::sleep(delay).await;
                    let _ = s.write_all(answer.as_bytes()).await;
                });
            }
        });
        addr
    }

    fn get(addr: std::net::SocketAddr) -> http::Request<Full<Bytes>> {
        http::Request::get(target(&format!("http://{addr}/x")).unwrap())
            .body(Full::default())
            .unwrap()
    }

    #[tokio::test]
    async fn answers_redirects_timeouts_and_long_bodies() {
        let c = client(Duration::from_secs(2), 4).unwrap();
        let t = Duration::from_secs(2);
        let ok = server(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nhello",
            Duration::ZERO,
        )
        .await;
        let a = exchange(&c, get(ok), t, 1024).await.unwrap();
        assert_eq!(a.status, 200);
        assert_eq!(a.content_type.as_deref(), Some("text/plain"));
        assert_eq!(a.body.as_deref(), Some(&b"hello"[..]));
        // Longer than asked for: the status, no body.
        let a = exchange(&c, get(ok), t, 3).await.unwrap();
        assert_eq!((a.status.as_u16(), a.body), (200, None));
        // A redirect is the answer.
        let moved = server(
            "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:1/\r\ncontent-length: 0\r\n\r\n",
            Duration::ZERO,
        )
        .await;
        let a = exchange(&c, get(moved), t, 1024).await.unwrap();
        assert_eq!(a.status, 302);
        // Too slow.
        let slow = server(
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            Duration::from_secs(5),
        )
        .await;
        let e = exchange(&c, get(slow), Duration::from_millis(200), 1024)
            .await
            .unwrap_err();
        assert!(e.contains("no answer within 200 ms"), "{e}");
        // Nobody listening: the cause is named.
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = closed.local_addr().unwrap();
        drop(closed);
        let e = exchange(&c, get(addr), t, 1024).await.unwrap_err();
        assert!(e.to_lowercase().contains("connect"), "{e}");
    }
}
