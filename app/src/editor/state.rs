//! The editor's shared state: the document with its undo history, the selection, the
//! viewport and the save status. Every edit goes through [`EditorState::edit`], which
//! records history and marks the document unsaved.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::client::{self, ClientError};
use crate::domain::canvas::{Viewport, bounds, fit};
use crate::domain::pipeline_doc::{Doc, History};
use crate::model::{JobTemplate, PipelineGraph};

/// Padding around the drawing when fitting it to the screen.
const FIT_PADDING: f64 = 40.0;

#[derive(Clone, Copy)]
pub struct EditorState {
    pub pipeline_id: i64,
    pub editable: bool,
    pub doc: RwSignal<Doc>,
    pub history: RwSignal<History>,
    pub selection: RwSignal<HashSet<u32>>,
    pub view: RwSignal<Viewport>,
    /// Canvas size in CSS pixels.
    pub size: RwSignal<(f64, f64)>,
    /// Bumped by every change of the document.
    pub version: RwSignal<u64>,
    pub saved_version: RwSignal<u64>,
    pub saving: RwSignal<bool>,
    /// Bumped when the document is replaced (undo, redo, save), so forms re-read it.
    pub generation: RwSignal<u64>,
    /// A short message for the user (a refused connection, a saved copy…).
    pub notice: RwSignal<Option<String>>,
    pub error: RwSignal<Option<ClientError>>,
    /// Node keys and task names of the last save request, in request order.
    pub sent: StoredValue<Vec<(u32, String)>>,
    pub templates: StoredValue<Vec<JobTemplate>>,
    /// The stored version this editor last loaded or saved: a save over a newer one is
    /// refused by the server instead of replacing someone else's work.
    pub base: StoredValue<Option<chrono::DateTime<chrono::Utc>>>,
}

/// What the save indicator shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveStatus {
    Saved,
    Unsaved,
    Saving,
}

pub fn use_editor() -> EditorState {
    expect_context::<EditorState>()
}

impl EditorState {
    pub fn new(graph: &PipelineGraph, templates: Vec<JobTemplate>) -> Self {
        Self {
            pipeline_id: graph.pipeline.id.0,
            editable: graph.pipeline.editable,
            doc: RwSignal::new(Doc::from_graph(graph)),
            history: RwSignal::new(History::default()),
            selection: RwSignal::new(HashSet::new()),
            view: RwSignal::new(Viewport::default()),
            size: RwSignal::new((800.0, 600.0)),
            version: RwSignal::new(0),
            saved_version: RwSignal::new(0),
            saving: RwSignal::new(false),
            generation: RwSignal::new(0),
            notice: RwSignal::new(None),
            error: RwSignal::new(None),
            sent: StoredValue::new(Vec::new()),
            templates: StoredValue::new(templates),
            base: StoredValue::new(Some(graph.pipeline.updated_at)),
        }
    }

    /// Applies an edit, remembering the previous document for undo.
    pub fn edit(&self, change: impl FnOnce(&mut Doc)) {
        if !self.editable {
            return;
        }
        let before = self.doc.get_untracked();
        self.history.update(|h| h.record(before));
        self.doc.update(change);
        self.version.update(|v| *v += 1);
    }

    /// Applies an edit without a new undo step (the continuation of a drag).
    pub fn edit_continued(&self, change: impl FnOnce(&mut Doc)) {
        if self.editable {
            self.doc.update(change);
            self.version.update(|v| *v += 1);
        }
    }

    pub fn undo(&self) {
        let mut done = false;
        self.doc.update(|doc| self.history.update(|h| done = h.undo(doc)));
        self.after_jump(done);
    }

    pub fn redo(&self) {
        let mut done = false;
        self.doc.update(|doc| self.history.update(|h| done = h.redo(doc)));
        self.after_jump(done);
    }

    fn after_jump(&self, done: bool) {
        if done {
            self.version.update(|v| *v += 1);
            self.generation.update(|g| *g += 1);
            let keys: HashSet<u32> = self.doc.with_untracked(|d| d.nodes.keys().copied().collect());
            self.selection.update(|s| s.retain(|k| keys.contains(k)));
        }
    }

    pub fn status(&self) -> SaveStatus {
        if self.saving.get() {
            SaveStatus::Saving
        } else if self.version.get() != self.saved_version.get() {
            SaveStatus::Unsaved
        } else {
            SaveStatus::Saved
        }
    }

    /// Shows the whole pipeline.
    pub fn fit_to_screen(&self) {
        let (w, h) = self.size.get_untracked();
        let content = self.doc.with_untracked(|d| bounds(d.nodes.values().map(|n| n.pos)));
        if let Some(content) = content {
            self.view.set(fit(content, w, h, FIT_PADDING));
        }
    }

    /// Saves the document; on success takes the server's ids and canonical fields.
    pub fn save(self) {
        if !self.editable || self.saving.get_untracked() {
            return;
        }
        let mut input = self.doc.with_untracked(|d| d.to_input());
        input.base_updated_at = self.base.get_value();
        let sent_version = self.version.get_untracked();
        self.sent.set_value(self.doc.with_untracked(|d| d.sent_keys()));
        self.saving.set(true);
        let path = format!("/api/v1/pipelines/{}/graph", self.pipeline_id);
        spawn_local(async move {
            match client::put::<_, PipelineGraph>(&path, &input).await {
                Ok(graph) => {
                    self.error.set(None);
                    self.base.set_value(Some(graph.pipeline.updated_at));
                    if self.version.get_untracked() == sent_version {
                        self.doc.update(|d| d.absorb_saved(&graph));
                        self.generation.update(|g| *g += 1);
                    } else {
                        let sent = self.sent.get_value();
                        self.doc.update(|d| d.absorb_ids(&graph, &sent));
                    }
                    self.saved_version.set(sent_version);
                }
                Err(e) => self.error.set(Some(e)),
            }
            self.saving.set(false);
        });
    }

    /// `tasks[3].args.x` → `task 'train': args.x`, for the error list.
    pub fn explain_field(&self, field: &str) -> String {
        let named = field.strip_prefix("tasks[").and_then(|rest| {
            let (index, tail) = rest.split_once(']')?;
            let name = self.sent.with_value(|n| n.get(index.parse::<usize>().ok()?).map(|(_, name)| name.clone()))?;
            Some(format!("task '{name}'{}", tail.replacen('.', ": ", 1)))
        });
        named.unwrap_or_else(|| field.to_owned())
    }
}
