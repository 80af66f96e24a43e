//! Settings → MotherDuck: the connection's state, where the token comes from, and Disconnect —
//! which forgets the token the app stored (OS keyring, or the fallback file) and closes
//! MotherDuck's instance, and says so when `MOTHERDUCK_TOKEN` in the environment still provides
//! one (the app cannot unset its own environment).

use datagata_ipc::command;
use datagata_ipc::data::{MotherDuckDisconnected, MotherDuckState, MotherDuckStatus};
use yew::prelude::*;

use crate::bridge;
use crate::machine::NoArgs;

/// Where the token comes from, in words.
pub fn token_words(source: Option<&str>) -> &'static str {
    match source {
        None => "no token",
        Some("environment") => "MOTHERDUCK_TOKEN in the environment",
        Some("keyring") => "the OS keyring",
        Some(_) => "an owner-only file in the data folder (no OS keyring answered)",
    }
}

/// What Disconnect did, in words.
pub fn disconnected_words(d: &MotherDuckDisconnected) -> String {
    let places: Vec<&str> = d
        .forgotten
        .iter()
        .map(|p| match p.as_str() {
            "keyring" => "the OS keyring",
            _ => "the data folder's token file",
        })
        .collect();
    let mut text = if places.is_empty() {
        "Disconnected; the app had no token stored.".to_string()
    } else {
        format!(
            "Disconnected: forgot the token in {}.",
            places.join(" and ")
        )
    };
    if d.environment_token {
        text.push_str(
            " MOTHERDUCK_TOKEN in the environment still provides a token: unset it and restart \
             DataGata to stop using MotherDuck.",
        );
    }
    text
}

#[derive(Properties, PartialEq)]
pub struct MotherDuckSectionProps {
    pub status: MotherDuckStatus,
}

#[function_component(MotherDuckSection)]
pub fn motherduck_section(props: &MotherDuckSectionProps) -> Html {
    let done = use_state(|| None::<MotherDuckDisconnected>);
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    {
        // A fresh status from the backend replaces the last Disconnect's.
        let done = done.clone();
        use_effect_with(props.status.clone(), move |_| done.set(None));
    }
    let status = done.as_ref().map_or(&props.status, |d| &d.status);
    let can_disconnect =
        status.token_source.is_some() || status.state != MotherDuckState::NotConfigured;
    let on_disconnect = {
        let (done, busy, error) = (done.clone(), busy.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let (done, busy, error) = (done.clone(), busy.clone(), error.clone());
            busy.set(true);
            error.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                match bridge::invoke::<_, MotherDuckDisconnected>(
                    command::DISCONNECT_MOTHERDUCK,
                    &NoArgs {},
                )
                .await
                {
                    Ok(d) => done.set(Some(d)),
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        })
    };
    html! {
        <>
            <dl class="facts">
                <dt>{ "MotherDuck" }</dt><dd id="settings-motherduck">{ status.message.clone() }</dd>
                <dt>{ "Token from" }</dt>
                <dd id="settings-motherduck-token">{ token_words(status.token_source.as_deref()) }</dd>
            </dl>
            <div class="toolbar">
                <button id="settings-motherduck-disconnect" type="button"
                    disabled={ *busy || !can_disconnect } onclick={ on_disconnect }>{ "Disconnect" }</button>
                <span class="muted small">{ "Forgets the token the app stored; connect again from the Query tab." }</span>
            </div>
            <div role="status" aria-live="polite">
                if let Some(d) = &*done {
                    <p class="ok" id="settings-motherduck-disconnected">{ disconnected_words(d) }</p>
                }
                if let Some(e) = &*error {
                    <p class="error" id="settings-motherduck-error">{ e.clone() }</p>
                }
            </div>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disconnected(forgotten: &[&str], environment_token: bool) -> MotherDuckDisconnected {
        MotherDuckDisconnected {
            forgotten: forgotten.iter().map(|s| s.to_string()).collect(),
            environment_token,
            status: MotherDuckStatus {
                state: MotherDuckState::NotConfigured,
                message: String::new(),
                token_source: environment_token.then(|| "environment".into()),
            },
        }
    }

    #[test]
    fn disconnect_says_what_it_forgot_and_what_still_provides_a_token() {
        assert_eq!(
            disconnected_words(&disconnected(&["keyring"], false)),
            "Disconnected: forgot the token in the OS keyring."
        );
        assert_eq!(
            disconnected_words(&disconnected(&[], false)),
            "Disconnected; the app had no token stored."
        );
        let env = disconnected_words(&disconnected(&["keyring", "settings"], true));
        assert!(
            env.starts_with(
                "Disconnected: forgot the token in the OS keyring and the data folder's token file."
            ),
            "{env}"
        );
        assert!(env.contains("MOTHERDUCK_TOKEN in the environment still provides a token"));
        assert_eq!(token_words(Some("keyring")), "the OS keyring");
        assert_eq!(token_words(None), "no token");
    }
}
