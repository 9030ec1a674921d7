//! Container templates shared by tasks, for pipelines too large for one template per task
//! (Argo's schema allows 200 templates per Workflow). Tasks whose templates differ only in
//! their strings (image, command, arguments, working directory, variable values, pod labels
//! and annotations) share one template; each string that differs among them becomes a
//! parameter (`{{inputs.parameters.p<n>}}`) that each task's DAG entry passes. Resources,
//! mounts, placement, retries and deadline stay literal, so tasks that differ there get
//! templates of their own.

use std::collections::HashMap;

use crate::argo::{Arguments, Inputs, Parameter, Template};

/// How one task calls its shared template.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub template: String,
    pub arguments: Option<Arguments>,
}

/// The name of the `index`th shared template.
pub fn shared_name(index: usize) -> String {
    format!("tasks-{}", index + 1)
}

/// The strings of a template that may differ between the tasks sharing it, always in the
/// same order.
fn strings(template: &mut Template) -> Vec<&mut String> {
    let mut found: Vec<&mut String> = Vec::new();
    if let Some(container) = template.container.as_mut() {
        found.extend(container.image.as_mut());
        found.extend(container.command.iter_mut().flatten());
        found.extend(container.args.iter_mut().flatten());
        found.extend(container.working_dir.as_mut());
        found.extend(container.env.iter_mut().flatten().filter_map(|variable| variable.value.as_mut()));
    }
    if let Some(metadata) = template.metadata.as_mut() {
        found.extend(metadata.labels.values_mut());
        found.extend(metadata.annotations.values_mut());
    }
    found
}

/// Whether Argo can put `value` into a template as a parameter: it escapes values with Go's
/// `strconv.Quote` and then reads the template as JSON, so a value with a character Go
/// escapes in a way JSON has not (`\a`, `\v`, `\xNN`, `\UXXXXXXXX`: other control characters,
/// DEL, anything beyond the Basic Multilingual Plane) would break the Workflow.
pub fn substitutable(value: &str) -> bool {
    value.chars().all(|c| match c {
        '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => true,
        '\u{0}'..='\u{1f}' | '\u{7f}' => false,
        c => u32::from(c) <= 0xFFFF,
    })
}

struct Group {
    skeleton: Template,
    /// Each member's task index and strings.
    members: Vec<(usize, Vec<String>)>,
}

/// Groups the tasks' own templates (in task order) into shared ones; returns the shared
/// templates and, per task, how it calls its template.
pub fn share(per_task: Vec<Template>) -> (Vec<Template>, Vec<Call>) {
    let mut groups: Vec<Group> = Vec::new();
    let mut by_shape: HashMap<String, usize> = HashMap::new();
    for (task, mut skeleton) in per_task.into_iter().enumerate() {
        // A value Argo could not put back stays in the shape: its tasks get it literally.
        let values: Vec<String> = strings(&mut skeleton)
            .into_iter()
            .map(|text| if substitutable(text) { std::mem::take(text) } else { text.clone() })
            .collect();
        skeleton.name = String::new();
        let shape = serde_json::to_string(&skeleton).unwrap_or_default();
        let index = *by_shape.entry(shape).or_insert_with(|| {
            groups.push(Group { skeleton, members: Vec::new() });
            groups.len() - 1
        });
        groups[index].members.push((task, values));
    }
    let mut calls: Vec<Option<Call>> = vec![None; groups.iter().map(|g| g.members.len()).sum()];
    let mut templates = Vec::with_capacity(groups.len());
    for (index, group) in groups.into_iter().enumerate() {
        let Group { mut skeleton, members } = group;
        let first = &members[0].1;
        let differs: Vec<bool> =
            (0..first.len()).map(|slot| members.iter().any(|(_, values)| values[slot] != first[slot])).collect();
        let name = |slot: usize| format!("p{slot}");
        for (slot, text) in strings(&mut skeleton).into_iter().enumerate() {
            *text =
                if differs[slot] { format!("{{{{inputs.parameters.{}}}}}", name(slot)) } else { first[slot].clone() };
        }
        let varying: Vec<usize> = (0..first.len()).filter(|&slot| differs[slot]).collect();
        skeleton.name = shared_name(index);
        skeleton.inputs = (!varying.is_empty()).then(|| Inputs {
            parameters: varying.iter().map(|&slot| Parameter { name: name(slot), value: None }).collect(),
        });
        for (task, values) in &members {
            calls[*task] = Some(Call {
                template: skeleton.name.clone(),
                arguments: (!varying.is_empty()).then(|| Arguments {
                    parameters: varying
                        .iter()
                        .map(|&slot| Parameter { name: name(slot), value: Some(values[slot].clone()) })
                        .collect(),
                }),
            });
        }
        templates.push(skeleton);
    }
    (templates, calls.into_iter().flatten().collect())
}
