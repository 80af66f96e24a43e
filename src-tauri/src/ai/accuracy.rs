//! The execution-accuracy check (`datagata accuracy`): each of the traffic generator's ten
//! questions asked through the one question pipeline, headless — so locally, on the native
//! engine — and the rows its SQL returns compared with the rows of the question's reference SQL
//! as multisets (column names and row order ignored; numbers compared to 6 significant digits).

use datagata_ipc::{
    Profile,
    ai::ProviderChoice,
    data::{QueryRequest, QueryResult},
};
use serde::Serialize;

use super::questions::{HeadlessAsk, Source};
use crate::{Core, CoreError, traffic::QUESTIONS};

/// One question's outcome.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Checked {
    pub question: String,
    pub reference_sql: String,
    /// What the model wrote (after the one retry, when the first SQL failed).
    pub sql: Option<String>,
    /// The SQL ran.
    pub ran: bool,
    /// Its rows equal the reference's, as multisets.
    pub correct: bool,
    pub error: Option<String>,
    pub generation_ms: Option<f64>,
}

/// All ten.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub model: String,
    pub questions: usize,
    pub ran: usize,
    pub correct: usize,
    pub checked: Vec<Checked>,
}

/// A result's rows as sorted tuples of normalized values.
fn rows(r: &QueryResult) -> Vec<Vec<String>> {
    let n = r.columns.first().map(|c| c.values.len()).unwrap_or(0);
    let mut rows: Vec<Vec<String>> = (0..n)
        .map(|i| {
            r.columns
                .iter()
                .map(|c| normalize(&c.values.display(i)))
                .collect()
        })
        .collect();
    rows.sort();
    rows
}

/// A number to 6 significant digits (so `avg` written two ways compares equal); else the text.
fn normalize(v: &str) -> String {
    let plain = v.replace(',', "");
    match plain.parse::<f64>() {
        Ok(x) if x.is_finite() => format!("{:.6e}", x),
        _ => v.to_string(),
    }
}

/// Asks every question as `profile` with the local provider and checks the answers.
pub fn run(core: &Core, profile: &Profile) -> Result<Report, CoreError> {
    let mut checked = Vec::new();
    let mut model = String::new();
    for q in &QUESTIONS {
        let expected = core.data().run(&QueryRequest::local(q.reference_sql))?;
        let answer = core.ask_headless(&HeadlessAsk {
            question: q.text,
            profile: Some(profile),
            choice: Some(ProviderChoice::Local),
            reference_sql: None,
            source: Source::Cli,
        })?;
        if let Some(m) = &answer.completed.model {
            model = m.clone();
        }
        let correct = answer
            .result
            .as_ref()
            .is_some_and(|got| rows(got) == rows(&expected));
        checked.push(Checked {
            question: q.text.to_string(),
            reference_sql: q.reference_sql.to_string(),
            sql: answer.sql.clone(),
            ran: answer.result.is_some(),
            correct,
            error: answer.error.as_ref().map(|e| e.to_string()),
            generation_ms: answer.completed.generation_ms,
        });
    }
    Ok(Report {
        model,
        questions: checked.len(),
        ran: checked.iter().filter(|c| c.ran).count(),
        correct: checked.iter().filter(|c| c.correct).count(),
        checked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_to_six_digits_and_text_as_is() {
        assert_eq!(normalize("3.1415926"), normalize("3.14159260001"));
        assert_ne!(normalize("3.14"), normalize("3.15"));
        assert_eq!(normalize("1,000"), normalize("1000"));
        assert_eq!(normalize("Manhattan"), "Manhattan");
    }
}
