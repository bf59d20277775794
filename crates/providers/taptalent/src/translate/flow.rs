//! Assessment flows (templates): validation, create/update bodies, and reading a flow back.

use gateway_core::provider::{RemoteTemplate, TemplateDraft, TemplateUpdate};
use gateway_core::{FieldError, ProviderError, ProviderRef, TemplateStatus, TemplateStep};
use serde_json::{Map, Value};

use crate::wire::{self, id_text};

pub const ASSESSMENT_FLOW: &str = "assessment_flow";
/// The one interview ref: unique per assignment. (The flow id is the template's, shared by
/// every assignment, so it is no interview ref; it stays in the raw payload.)
pub const ASSIGNMENT_ID: &str = "assignment_id";
/// Draft settings this adapter reads: `status` (`ACTIVE`/`INACTIVE`) and per-step extras
/// `steps[i]` {instructions, pass_action, assessment_type}, matched by position.
const SETTINGS: [&str; 2] = ["status", "steps"];

pub fn validate_ref(r: &ProviderRef) -> Result<(), Vec<FieldError>> {
    let mut e = Vec::new();
    if r.kind != ASSESSMENT_FLOW {
        e.push(FieldError::new(
            "provider_ref.kind",
            "TapTalent templates are `assessment_flow`s",
        ));
    }
    if r.id.trim().is_empty() || r.id.len() > 64 || r.id.contains('/') {
        e.push(FieldError::new(
            "provider_ref.id",
            "must be a TapTalent flow id",
        ));
    }
    e.extend(r.without_vendor_part().err().unwrap_or_default());
    if e.is_empty() {
        Ok(())
    } else {
        Err(e)
    }
}

/// The flow status TapTalent takes for a unified one.
fn flow_status(status: TemplateStatus, field: &str) -> Result<String, FieldError> {
    match status {
        TemplateStatus::Active => Ok("ACTIVE".into()),
        TemplateStatus::Archived => Ok("INACTIVE".into()),
        TemplateStatus::Draft => Err(FieldError::new(
            field,
            "TapTalent flows are active or archived (INACTIVE), never draft",
        )),
    }
}

fn template_status(s: Option<&str>) -> TemplateStatus {
    match s.map(str::to_ascii_uppercase).as_deref() {
        Some("INACTIVE") | Some("ARCHIVED") | Some("DELETED") => TemplateStatus::Archived,
        Some("DRAFT") => TemplateStatus::Draft,
        _ => TemplateStatus::Active,
    }
}

fn step_body(
    step: &gateway_core::provider::StepDraft,
    extras: Option<&Map<String, Value>>,
    path: &str,
    e: &mut Vec<FieldError>,
) -> wire::StepBody {
    if step.assessment_id.trim().is_empty() {
        e.push(FieldError::new(
            format!("{path}.assessment_id"),
            "is required",
        ));
    }
    if !(0.0..=100.0).contains(&step.pass_threshold) {
        e.push(FieldError::new(
            format!("{path}.pass_threshold"),
            "must be between 0 and 100",
        ));
    }
    let extra = |k: &str| {
        extras
            .and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    wire::StepBody {
        assessment_id: step.assessment_id.trim().to_string(),
        pass_threshold: step.pass_threshold,
        assessment_type: extra("assessment_type"),
        name: step.name.clone(),
        instructions: extra("instructions"),
        pass_action: extra("pass_action"),
    }
}

fn settings_of(draft_settings: &Value, e: &mut Vec<FieldError>) -> Map<String, Value> {
    match draft_settings {
        Value::Object(m) => {
            for k in m.keys() {
                if !SETTINGS.contains(&k.as_str()) {
                    e.push(FieldError::new(
                        format!("settings.{k}"),
                        "not a TapTalent flow setting (status, steps)",
                    ));
                }
            }
            for (i, s) in m
                .get("steps")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                match s.as_object() {
                    Some(o) => {
                        for (k, v) in o {
                            if !["instructions", "pass_action", "assessment_type"]
                                .contains(&k.as_str())
                            {
                                e.push(FieldError::new(
                                    format!("settings.steps[{i}].{k}"),
                                    "not a TapTalent step setting (instructions, pass_action, assessment_type)",
                                ));
                            } else if !v.is_string() {
                                e.push(FieldError::new(
                                    format!("settings.steps[{i}].{k}"),
                                    "must be a string",
                                ));
                            }
                        }
                    }
                    None => e.push(FieldError::new(
                        format!("settings.steps[{i}]"),
                        "must be an object",
                    )),
                }
            }
            if m.get("steps").is_some_and(|s| !s.is_array()) {
                e.push(FieldError::new("settings.steps", "must be an array"));
            }
            m.clone()
        }
        Value::Null => Map::new(),
        _ => {
            e.push(FieldError::new("settings", "must be an object"));
            Map::new()
        }
    }
}

/// A flow from a unified draft. Fields a TapTalent flow has no place for are refused by
/// name rather than dropped.
pub fn create_body(draft: &TemplateDraft) -> Result<wire::FlowBody, ProviderError> {
    let mut e = Vec::new();
    let settings = settings_of(&draft.settings, &mut e);
    let unplaced = [
        ("position", draft.position.is_some()),
        ("department", draft.department.is_some()),
        ("duration_minutes", draft.duration_minutes.is_some()),
        ("retakes", draft.retakes.is_some()),
        ("questions", !draft.questions.is_empty()),
        ("requirements", !draft.requirements.is_empty()),
    ];
    for (field, given) in unplaced {
        if given {
            e.push(FieldError::new(
                field,
                "a TapTalent assessment flow has no such field; its steps carry the content",
            ));
        }
    }
    if draft.steps.is_empty() {
        e.push(FieldError::new(
            "steps",
            "a TapTalent flow needs at least one step (assessment_id and pass_threshold)",
        ));
    }
    let extras: Vec<Option<&Map<String, Value>>> = (0..draft.steps.len())
        .map(|i| {
            settings
                .get("steps")
                .and_then(|s| s.get(i))
                .and_then(Value::as_object)
        })
        .collect();
    let steps = draft
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| step_body(s, extras[i], &format!("steps[{i}]"), &mut e))
        .collect();
    let status = match settings.get("status") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "ACTIVE" || s == "INACTIVE" => Some(s.clone()),
        Some(_) => {
            e.push(FieldError::new(
                "settings.status",
                "must be ACTIVE or INACTIVE",
            ));
            None
        }
    };
    if draft.name.trim().is_empty() {
        e.push(FieldError::new("name", "is required"));
    }
    if !e.is_empty() {
        return Err(ProviderError::InvalidInput(e));
    }
    Ok(wire::FlowBody {
        flow_name: draft.name.trim().to_string(),
        description: draft.description.clone(),
        status,
        steps,
    })
}

fn current_step_body(s: &wire::Step) -> Option<wire::StepBody> {
    Some(wire::StepBody {
        assessment_id: s.assessment_id.as_ref().and_then(id_text)?,
        pass_threshold: s.pass_threshold?,
        assessment_type: s.assessment_type.clone().or_else(|| s.kind.clone()),
        name: s.name.clone(),
        instructions: s.instructions.clone(),
        pass_action: s.pass_action.clone(),
    })
}

/// The whole flow as it should be after `update`: PATCH takes the create shape, so fields
/// the update leaves alone are sent as they are now. TapTalent forbids changing or removing
/// an existing stage (thresholds may change, stages may be appended); that is checked here
/// so the client hears which step is wrong, and the vendor's own refusal (if the flow
/// changed meanwhile) is passed on as it comes.
pub fn update_body(
    current: &wire::Flow,
    update: &TemplateUpdate,
) -> Result<wire::FlowBody, ProviderError> {
    let mut e = Vec::new();
    let existing: Vec<wire::StepBody> =
        current.steps.iter().filter_map(current_step_body).collect();
    if existing.len() != current.steps.len() {
        return Err(ProviderError::BadResponse {
            status: Some(200),
            message: "TapTalent answered a flow step without assessmentId or passThreshold".into(),
        });
    }
    let steps = match &update.steps {
        None => existing,
        Some(wanted) => {
            let mut steps = Vec::with_capacity(wanted.len());
            for (i, w) in wanted.iter().enumerate() {
                let path = format!("steps[{i}]");
                let mut body = step_body(w, None, &path, &mut e);
                if let Some(old) = existing.get(i) {
                    if old.assessment_id != body.assessment_id {
                        e.push(FieldError::new(
                            format!("{path}.assessment_id"),
                            format!("TapTalent does not allow changing an existing stage (it is `{}`); adjust pass_threshold or append new steps", old.assessment_id),
                        ));
                    }
                    // Metadata the unified step does not carry stays as it is.
                    body.assessment_type = old.assessment_type.clone();
                    body.instructions = old.instructions.clone();
                    body.pass_action = old.pass_action.clone();
                    if body.name.is_none() {
                        body.name = old.name.clone();
                    }
                }
                steps.push(body);
            }
            if wanted.len() < existing.len() {
                e.push(FieldError::new(
                    "steps",
                    format!(
                        "TapTalent does not allow removing stages: the flow has {}, the update lists {}",
                        existing.len(),
                        wanted.len()
                    ),
                ));
            }
            steps
        }
    };
    let status = match update.status {
        Some(s) => match flow_status(s, "status") {
            Ok(s) => Some(s),
            Err(f) => {
                e.push(f);
                None
            }
        },
        None => current.status.clone(),
    };
    let flow_name = match &update.name {
        Some(n) if n.trim().is_empty() => {
            e.push(FieldError::new("name", "must not be empty"));
            String::new()
        }
        Some(n) => n.trim().to_string(),
        None => current.flow_name.clone().unwrap_or_default(),
    };
    if !e.is_empty() {
        return Err(ProviderError::InvalidInput(e));
    }
    Ok(wire::FlowBody {
        flow_name,
        description: update
            .description
            .clone()
            .or_else(|| current.description.clone()),
        status,
        steps,
    })
}

pub fn template(flow: wire::Flow, raw: Value) -> Result<RemoteTemplate, ProviderError> {
    let id = id_text(&flow.id).ok_or_else(|| ProviderError::BadResponse {
        status: Some(200),
        message: "a TapTalent flow without an id".into(),
    })?;
    Ok(RemoteTemplate {
        provider_ref: ProviderRef {
            kind: ASSESSMENT_FLOW.into(),
            id,
            vendor: Default::default(),
        },
        name: flow.flow_name.unwrap_or_default(),
        description: flow.description,
        status: template_status(flow.status.as_deref()),
        steps: flow
            .steps
            .iter()
            .map(|s| TemplateStep {
                name: s.name.clone().or_else(|| s.assessment_name.clone()),
                kind: s.assessment_type.clone().or_else(|| s.kind.clone()),
                assessment_id: s.assessment_id.as_ref().and_then(id_text),
                pass_threshold: s.pass_threshold,
            })
            .collect(),
        raw,
    })
}
