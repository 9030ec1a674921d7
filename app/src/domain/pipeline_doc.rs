//! The pipeline editor's document: tasks as canvas nodes (with stable keys, also for tasks
//! not saved yet), edges between keys, and undo/redo history. Every canvas edit is a method
//! here, so the editor's behaviour is tested natively; the component only renders it.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use super::dag::{Edge, would_create_cycle};
use super::layout::layered_layout;
use super::pipeline_rules::dag_edges;
use crate::model::{GraphInput, PipelineGraph, PipelineInput, Position, TaskFields, TaskId, TaskInput, TaskResources};

/// Edits kept for undo.
const HISTORY_LIMIT: usize = 100;

/// A task on the canvas.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: Option<TaskId>,
    pub template_id: i64,
    pub template_name: String,
    pub fields: TaskFields,
    pub pos: Position,
}

/// How far apart tasks added at one place are put.
const FREE_SPOT_STEP: f64 = 24.0;

/// The whole editable pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub settings: PipelineInput,
    /// Nodes by key; keys grow and are never reused.
    pub nodes: BTreeMap<u32, Node>,
    pub edges: Vec<(u32, u32)>,
    next_key: u32,
}

/// Why a connection was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectError {
    SameTask,
    AlreadyConnected,
    /// One of the tasks was deleted meanwhile.
    Gone,
    /// The edge would close this cycle (the new edge first, the first task repeated last).
    Cycle(Vec<String>),
}

impl Doc {
    /// The document of a loaded pipeline; tasks without a stored position are laid out.
    pub fn from_graph(graph: &PipelineGraph) -> Self {
        let p = &graph.pipeline;
        let settings = PipelineInput { project_id: crate::model::ProjectId(p.project.id), fields: p.fields.clone() };
        let mut doc = Self { settings, nodes: BTreeMap::new(), edges: Vec::new(), next_key: 0 };
        let layout = &p.fields.expand.layout;
        for task in &graph.tasks {
            let pos = layout.get(&task.fields.name).copied().unwrap_or_default();
            doc.insert(Node {
                id: Some(task.id),
                template_id: task.template_id,
                template_name: task.template_name.clone(),
                fields: task.fields.clone(),
                pos,
            });
        }
        let key_of: BTreeMap<&str, u32> = doc.nodes.iter().map(|(k, n)| (n.fields.name.as_str(), *k)).collect();
        let edges = dag_edges(&p.fields.dag)
            .iter()
            .filter_map(|e| Some((*key_of.get(e.from.as_str())?, *key_of.get(e.to.as_str())?)))
            .collect();
        doc.edges = edges;
        let unplaced: Vec<u32> =
            doc.nodes.iter().filter(|(_, n)| !layout.contains_key(&n.fields.name)).map(|(k, _)| *k).collect();
        if unplaced.len() == doc.nodes.len() {
            doc.auto_layout();
        } else {
            doc.place_below(&unplaced);
        }
        doc
    }

    fn insert(&mut self, node: Node) -> u32 {
        let key = self.next_key;
        self.next_key += 1;
        self.nodes.insert(key, node);
        key
    }

    fn name_of(&self, key: u32) -> &str {
        self.nodes.get(&key).map_or("", |n| n.fields.name.as_str())
    }

    fn name_edges(&self) -> Vec<Edge> {
        self.edges.iter().map(|(a, b)| Edge::new(self.name_of(*a), self.name_of(*b))).collect()
    }

    /// Puts these nodes in a row under the rest of the drawing.
    fn place_below(&mut self, keys: &[u32]) {
        let placed = self.nodes.iter().filter(|(k, _)| !keys.contains(k)).map(|(_, n)| n.pos);
        let bottom = super::canvas::bounds(placed).map_or(0.0, |b| b.y + b.h);
        for (i, key) in keys.iter().enumerate() {
            if let Some(node) = self.nodes.get_mut(key) {
                node.pos = Position { x: i as f64 * (super::layout::NODE_WIDTH + 40.0), y: bottom + 60.0 };
            }
        }
    }

    /// A task name not used yet: `<base>`, `<base>-2`, `<base>-3`, …
    pub fn unique_name(&self, base: &str) -> String {
        let taken: HashSet<&str> = self.nodes.values().map(|n| n.fields.name.as_str()).collect();
        let cut: String = base.chars().take(40).collect();
        let base = cut.trim_end_matches('-').to_owned();
        (1..)
            .map(|i| if i == 1 { base.clone() } else { format!("{base}-{i}") })
            .find(|n| !taken.contains(n.as_str()))
            .unwrap_or(base)
    }

    /// `pos`, or the first spot down and to the right of it that no task starts at: tasks
    /// added one after another at the same place stay apart instead of hiding each other.
    pub fn free_spot(&self, pos: Position) -> Position {
        let taken = |p: &Position| {
            self.nodes
                .values()
                .any(|n| (n.pos.x - p.x).abs() < FREE_SPOT_STEP && (n.pos.y - p.y).abs() < FREE_SPOT_STEP)
        };
        // A task blocks at most two spots of the diagonal, so one of these is free.
        (0..2 * self.nodes.len() + 1)
            .map(|i| Position { x: pos.x + i as f64 * FREE_SPOT_STEP, y: pos.y + i as f64 * FREE_SPOT_STEP })
            .find(|p| !taken(p))
            .unwrap_or(pos)
    }

    /// Adds a task of a template at `pos` with the schema's default arguments.
    pub fn add_task(
        &mut self,
        template_id: i64,
        template_name: &str,
        defaults: Map<String, Value>,
        pos: Position,
    ) -> u32 {
        let name = self.unique_name(template_name);
        let fields = TaskFields {
            label: name.clone(),
            name,
            args: defaults,
            workdir: String::new(),
            command: String::new(),
            volume_mount: String::new(),
            resources: TaskResources::default(),
            timeout: 0,
            retries: 0,
            skip: false,
        };
        self.insert(Node { id: None, template_id, template_name: template_name.to_owned(), fields, pos })
    }

    /// Connects `from → to` unless that is a self-loop, a duplicate or closes a cycle.
    pub fn connect(&mut self, from: u32, to: u32) -> Result<(), ConnectError> {
        if from == to {
            return Err(ConnectError::SameTask);
        }
        if !self.nodes.contains_key(&from) || !self.nodes.contains_key(&to) {
            return Err(ConnectError::Gone);
        }
        if self.edges.contains(&(from, to)) {
            return Err(ConnectError::AlreadyConnected);
        }
        let edges = self.name_edges();
        let (a, b) = (self.name_of(from).to_owned(), self.name_of(to).to_owned());
        if would_create_cycle(&edges, &a, &b) {
            let path = std::iter::once(from)
                .chain(path_between(&self.edges, to, from))
                .map(|k| self.name_of(k).to_owned())
                .collect();
            return Err(ConnectError::Cycle(path));
        }
        self.edges.push((from, to));
        Ok(())
    }

    /// Removes nodes and every edge touching them.
    pub fn delete(&mut self, keys: &HashSet<u32>) {
        self.nodes.retain(|k, _| !keys.contains(k));
        self.edges.retain(|(a, b)| !keys.contains(a) && !keys.contains(b));
    }

    pub fn move_by(&mut self, keys: &HashSet<u32>, dx: f64, dy: f64) {
        for key in keys {
            if let Some(node) = self.nodes.get_mut(key) {
                node.pos = Position { x: node.pos.x + dx, y: node.pos.y + dy };
            }
        }
    }

    /// Places every task by the layered layout (a DAG with a cycle stays as it is).
    pub fn auto_layout(&mut self) {
        let names: Vec<String> = self.nodes.values().map(|n| n.fields.name.clone()).collect();
        if let Ok(placed) = layered_layout(&names, &self.name_edges()) {
            let at: BTreeMap<String, Position> =
                placed.into_iter().map(|p| (p.task, Position { x: p.x, y: p.y })).collect();
            for node in self.nodes.values_mut() {
                if let Some(p) = at.get(&node.fields.name) {
                    node.pos = *p;
                }
            }
        }
    }

    /// The save request: settings with the DAG and layout derived from the canvas.
    pub fn to_input(&self) -> GraphInput {
        let mut settings = self.settings.clone();
        let names: Vec<String> = self.nodes.values().map(|n| n.fields.name.clone()).collect();
        settings.fields.dag = super::pipeline_rules::dag_from_edges(&names, &self.name_edges());
        settings.fields.expand.layout = self.nodes.values().map(|n| (n.fields.name.clone(), n.pos)).collect();
        let tasks = self
            .nodes
            .values()
            .map(|n| TaskInput { id: n.id, template_id: n.template_id, fields: n.fields.clone() })
            .collect();
        GraphInput { pipeline: settings, tasks, base_updated_at: None }
    }

    /// Takes what the server saved (ids, canonical fields) while keeping keys and positions.
    pub fn absorb_saved(&mut self, graph: &PipelineGraph) {
        let sent: Vec<(u32, String)> = self.nodes.iter().map(|(k, n)| (*k, n.fields.name.clone())).collect();
        self.absorb(graph, &sent, true);
        self.settings.fields = graph.pipeline.fields.clone();
    }

    /// Takes only the ids of saved tasks (the user edited on while the save ran); `sent` are
    /// the keys and names of the nodes as they were sent.
    pub fn absorb_ids(&mut self, graph: &PipelineGraph, sent: &[(u32, String)]) {
        self.absorb(graph, sent, false);
    }

    fn absorb(&mut self, graph: &PipelineGraph, sent: &[(u32, String)], fields: bool) {
        let saved: BTreeMap<&str, &crate::model::Task> =
            graph.tasks.iter().map(|t| (t.fields.name.as_str(), t)).collect();
        for (key, name) in sent {
            if let (Some(node), Some(task)) = (self.nodes.get_mut(key), saved.get(name.as_str())) {
                node.id = Some(task.id);
                if fields {
                    node.fields = task.fields.clone();
                }
            }
        }
    }

    /// The keys and names of the nodes, in save order.
    pub fn sent_keys(&self) -> Vec<(u32, String)> {
        self.nodes.iter().map(|(k, n)| (*k, n.fields.name.clone())).collect()
    }
}

/// Keys on some path `from ⇝ to` along `edges` (empty if none), both ends included.
fn path_between(edges: &[(u32, u32)], from: u32, to: u32) -> Vec<u32> {
    let mut parent: BTreeMap<u32, u32> = BTreeMap::new();
    let mut stack = vec![from];
    let mut seen = HashSet::from([from]);
    while let Some(at) = stack.pop() {
        if at == to {
            let mut path = vec![to];
            let mut cur = to;
            while let Some(p) = parent.get(&cur) {
                path.push(*p);
                cur = *p;
            }
            path.reverse();
            return path;
        }
        for (_, next) in edges.iter().filter(|(a, _)| *a == at) {
            if seen.insert(*next) {
                parent.insert(*next, at);
                stack.push(*next);
            }
        }
    }
    Vec::new()
}

/// Undo and redo stacks of documents.
#[derive(Debug, Clone, Default)]
pub struct History {
    past: Vec<Doc>,
    future: Vec<Doc>,
}

impl History {
    /// Remembers `before` as the state to return to; a new edit forgets the redo stack.
    pub fn record(&mut self, before: Doc) {
        self.past.push(before);
        if self.past.len() > HISTORY_LIMIT {
            self.past.remove(0);
        }
        self.future.clear();
    }

    pub fn undo(&mut self, current: &mut Doc) -> bool {
        match self.past.pop() {
            Some(prev) => {
                self.future.push(std::mem::replace(current, prev));
                true
            }
            None => false,
        }
    }

    pub fn redo(&mut self, current: &mut Doc) -> bool {
        match self.future.pop() {
            Some(next) => {
                self.past.push(std::mem::replace(current, next));
                true
            }
            None => false,
        }
    }

    pub fn can_undo(&self) -> bool {
        !self.past.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.future.is_empty()
    }
}

#[cfg(test)]
#[path = "pipeline_doc_tests.rs"]
mod tests;
