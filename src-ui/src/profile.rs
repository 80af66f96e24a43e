//! The profile editor: email, plan, role, organization and the session overrides. Saving sends
//! the profile to the backend, which checks it, stores it and re-evaluates every flag.

use datagata_ipc::{DeviceType, Organization, Profile, Role, Tier};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ProfileEditorProps {
    pub profile: Profile,
    pub on_save: Callback<Profile>,
}

const INDUSTRIES: [&str; 7] = [
    "transportation",
    "logistics",
    "finance",
    "retail",
    "healthcare",
    "technology",
    "other",
];

fn input_value(e: &InputEvent) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

fn select_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlSelectElement>().value()
}

/// The wire spelling of a lowercase enum value, back into the enum.
fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

#[function_component(ProfileEditor)]
pub fn profile_editor(props: &ProfileEditorProps) -> Html {
    let draft = use_state(|| props.profile.clone());
    {
        // A saved (and tidied) profile from the backend replaces the draft.
        let draft = draft.clone();
        use_effect_with(props.profile.clone(), move |p| draft.set(p.clone()));
    }
    let edit = |f: fn(&mut Profile, String)| {
        let draft = draft.clone();
        move |value: String| {
            let mut p = (*draft).clone();
            f(&mut p, value);
            draft.set(p);
        }
    };
    let on_email = {
        let set = edit(|p, v| p.email = v);
        Callback::from(move |e: InputEvent| set(input_value(&e)))
    };
    let on_tier = {
        let set = edit(|p, v| p.tier = parse(&v).unwrap_or_default());
        Callback::from(move |e: Event| set(select_value(&e)))
    };
    let on_role = {
        let set = edit(|p, v| p.role = parse(&v));
        Callback::from(move |e: Event| set(select_value(&e)))
    };
    let on_device = {
        let set = edit(|p, v| p.device_type_override = parse(&v));
        Callback::from(move |e: Event| set(select_value(&e)))
    };
    let on_region = {
        let set = edit(|p, v| p.region_override = Some(v));
        Callback::from(move |e: InputEvent| set(input_value(&e)))
    };
    let on_has_org = {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let checked = e.target_unchecked_into::<HtmlInputElement>().checked();
            let mut p = (*draft).clone();
            p.organization = checked.then(|| Organization {
                key: String::new(),
                name: String::new(),
                industry: "transportation".into(),
                contract_value: 0.0,
            });
            draft.set(p);
        })
    };
    let org_edit = |f: fn(&mut Organization, String)| {
        let draft = draft.clone();
        move |value: String| {
            let mut p = (*draft).clone();
            if let Some(org) = p.organization.as_mut() {
                f(org, value);
            }
            draft.set(p);
        }
    };
    let on_org_name = {
        let set = org_edit(|o, v| {
            o.name = v;
            o.key.clear(); // derived from the name by the backend
        });
        Callback::from(move |e: InputEvent| set(input_value(&e)))
    };
    let on_org_industry = {
        let set = org_edit(|o, v| o.industry = v);
        Callback::from(move |e: Event| set(select_value(&e)))
    };
    let on_org_value = {
        let set = org_edit(|o, v| o.contract_value = v.trim().parse().unwrap_or(f64::NAN));
        Callback::from(move |e: InputEvent| set(input_value(&e)))
    };
    let input_error = use_state(|| None::<String>);
    let on_submit = {
        let draft = draft.clone();
        let input_error = input_error.clone();
        let on_save = props.on_save.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            // A number field that does not hold a number cannot even cross IPC (JSON has no NaN).
            if draft
                .organization
                .as_ref()
                .is_some_and(|o| !o.contract_value.is_finite())
            {
                input_error.set(Some(
                    "The contract value must be a number, e.g. 50000.".into(),
                ));
                return;
            }
            input_error.set(None);
            on_save.emit((*draft).clone());
        })
    };

    let p = &*draft;
    let option = |value: &str, label: &str, selected: bool| {
        html! { <option value={ value.to_string() } selected={ selected }>{ label.to_string() }</option> }
    };
    html! {
        <form class="profile" id="profile-form" novalidate=true onsubmit={ on_submit }>
            <label>{ "Email" }
                <input id="profile-email" type="email" value={ p.email.clone() } oninput={ on_email } />
            </label>
            <label>{ "Plan" }
                <select id="profile-tier" onchange={ on_tier }>
                    { for Tier::ALL.iter().map(|t| option(t.as_str(), t.as_str(), p.tier == *t)) }
                </select>
            </label>
            <label>{ "Role" }
                <select id="profile-role" onchange={ on_role }>
                    { option("", "none", p.role.is_none()) }
                    { for Role::ALL.iter().map(|r| option(r.as_str(), r.as_str(), p.role == Some(*r))) }
                </select>
            </label>
            <label>{ "Device" }
                <select id="profile-device" onchange={ on_device }>
                    { option("", "as detected", p.device_type_override.is_none()) }
                    { for [DeviceType::Desktop, DeviceType::Laptop, DeviceType::Tablet, DeviceType::Mobile]
                        .iter().map(|d| option(d.as_str(), d.as_str(), p.device_type_override == Some(*d))) }
                </select>
            </label>
            <label>{ "Region" }
                <input id="profile-region" placeholder="from your time zone"
                    value={ p.region_override.clone().unwrap_or_default() } oninput={ on_region } />
            </label>
            <label class="check">
                <input id="profile-has-org" type="checkbox" checked={ p.organization.is_some() } onchange={ on_has_org } />
                { "I work for an organization" }
            </label>
            if let Some(org) = &p.organization {
                <label>{ "Organization" }
                    <input id="profile-org-name" value={ org.name.clone() } oninput={ on_org_name } />
                </label>
                <label>{ "Industry" }
                    <select id="profile-org-industry" onchange={ on_org_industry }>
                        { for INDUSTRIES.iter().map(|i| option(i, i, org.industry == *i)) }
                    </select>
                </label>
                <label>{ "Contract value ($/year)" }
                    <input id="profile-org-value" type="number" min="0" step="1000"
                        value={ if org.contract_value.is_finite() { org.contract_value.to_string() } else { String::new() } }
                        oninput={ on_org_value } />
                </label>
            }
            <button id="profile-save" type="submit">{ "Save profile" }</button>
            if let Some(e) = &*input_error { <p class="error" id="profile-input-error">{ e.clone() }</p> }
        </form>
    }
}
