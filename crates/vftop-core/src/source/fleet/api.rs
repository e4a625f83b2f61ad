//! Prometheus's HTTP query API (which Thanos, Mimir and VictoriaMetrics also answer): instant
//! and range queries sent as forms, answers read whole whatever their size, with what each cost.

use super::super::SampleError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long one query may take before the sample counts as failed.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// A series' labels, `__name__` among them.
pub type Labels = BTreeMap<String, String>;

/// One series of an instant vector: its labels and `[time, "value"]`.
#[derive(Deserialize)]
pub struct InstantSeries {
    pub metric: Labels,
    pub value: (f64, String),
}

/// One series of a range matrix: its labels and `[[time, "value"], …]`.
#[derive(Deserialize)]
pub struct RangeSeries {
    pub metric: Labels,
    pub values: Vec<(f64, String)>,
}

/// A query's result and what it cost.
pub struct Answer<T> {
    pub series: Vec<T>,
    /// Bytes of the answer's body.
    pub bytes: usize,
    pub took: Duration,
}

/// What one query cost, for `--explain` and the bench.
#[derive(Clone, Debug)]
pub struct Cost {
    pub what: &'static str,
    pub query: String,
    pub series: usize,
    pub bytes: usize,
    pub took: Duration,
}

/// Prometheus's answer: `{"status", "data": {"result": [...]}, "error"}`.
#[derive(Deserialize)]
struct ApiResponse<T> {
    status: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default = "no_data")]
    data: ApiData<T>,
}

#[derive(Deserialize)]
struct ApiData<T> {
    #[serde(default = "Vec::new")]
    result: Vec<T>,
}

fn no_data<T>() -> ApiData<T> {
    ApiData { result: Vec::new() }
}

/// The query API at one base URL.
pub struct Api {
    base: String,
    agent: ureq::Agent,
}

impl Api {
    pub fn new(base: &str) -> Api {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(QUERY_TIMEOUT))
            .http_status_as_error(false)
            .build()
            .into();
        Api { base: base.trim_end_matches('/').to_string(), agent }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// An instant query, now.
    pub fn instant(&self, promql: &str) -> Result<Answer<InstantSeries>, SampleError> {
        self.post("query", &[("query", promql.to_string())], "query")
    }

    /// A range query over the `span` up to now, a point every `step`.
    pub fn range(
        &self,
        promql: &str,
        span: Duration,
        step: Duration,
    ) -> Result<Answer<RangeSeries>, SampleError> {
        let end = jiff::Timestamp::now().as_millisecond() as f64 / 1000.0;
        let form = [
            ("query", promql.to_string()),
            ("start", format!("{:.3}", end - span.as_secs_f64())),
            ("end", format!("{end:.3}")),
            ("step", format!("{:.3}", step.as_secs_f64().max(1.0))),
        ];
        self.post("query_range", &form, "range query")
    }

    /// POSTs a form (queries can be longer than a URL may be) and reads the answer whole:
    /// no size limit of the client decides whether the console starts.
    fn post<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: &str,
        form: &[(&str, String)],
        what: &str,
    ) -> Result<Answer<T>, SampleError> {
        let url = format!("{}/api/v1/{endpoint}", self.base);
        let unreachable =
            |e: String| SampleError::Other(format!("Prometheus {} unreachable: {e}", self.base));
        let started = Instant::now();
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut response = self.agent.post(&url).send_form(pairs).map_err(|e| unreachable(e.to_string()))?;
        let status = response.status();
        let body = response
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .map_err(|e| unreachable(e.to_string()))?;
        let took = started.elapsed();
        let doc: ApiResponse<T> = serde_json::from_slice(&body).map_err(|e| {
            let head = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            unreachable(format!("HTTP {status}, not a query API answer ({e}): {head}"))
        })?;
        if doc.status != "success" {
            let why = doc.error.unwrap_or_else(|| format!("status {} (HTTP {status})", doc.status));
            return Err(SampleError::Other(format!("Prometheus refused the {what}: {why}")));
        }
        Ok(Answer { series: doc.data.result, bytes: body.len(), took })
    }
}

/// Whether a refusal is about the query's size (Prometheus's `--query.max-samples`, a backend's
/// series or points limit), which a coarser step can get under.
pub fn too_big(e: &SampleError) -> bool {
    let text = e.to_string();
    ["too many samples", "max-samples", "exceeded", "too many points", "cannot select more than", "limit"]
        .iter()
        .any(|needle| text.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_for_size_are_told_from_other_errors() {
        let refused = |why: &str| SampleError::Other(format!("Prometheus refused the range query: {why}"));
        // Prometheus's --query.max-samples and VictoriaMetrics's -search.maxSamplesPerQuery.
        assert!(too_big(&refused(
            "query processing would load too many samples into memory in query execution"
        )));
        assert!(too_big(&refused("cannot select more than -search.maxSamplesPerQuery=1000 samples")));
        assert!(!too_big(&refused("1:5: parse error: unexpected character")));
        assert!(!too_big(&SampleError::Other("Prometheus http://p unreachable: connection refused".into())));
    }
}
