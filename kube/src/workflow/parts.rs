//! A pipeline too large for one DAG, split into parts of at most [`PART_SIZE`] tasks (Argo's
//! schema allows 200 tasks per DAG). Tasks that are connected stay in one part where they
//! fit; small unconnected groups share parts; a group larger than a part is cut between
//! dependency levels (a task's level is one more than its upstream tasks' highest), whole
//! levels packed into a part while they fit and a level larger than a part spread over
//! parts of its own, and a part then waits for the earlier parts holding its tasks'
//! upstream tasks. So a fan from one task puts that task alone in the first part, and its
//! dependents, in the parts after, wait only for it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The most tasks one DAG of a Workflow holds.
pub const PART_SIZE: usize = 200;

/// One part: a DAG of its own inside the Workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Indexes of the tasks it runs, upstream tasks before their dependents.
    pub tasks: Vec<usize>,
    /// Earlier parts it waits for (they hold an upstream task of one of its tasks).
    pub after: Vec<usize>,
}

fn root(parent: &mut [usize], mut task: usize) -> usize {
    while parent[task] != task {
        parent[task] = parent[parent[task]];
        task = parent[task];
    }
    task
}

/// The tasks in an order where every upstream task comes first (ties in index order); tasks
/// on a cycle, which a checked pipeline never has, come last in index order.
fn dependency_order(upstream: &[Vec<usize>]) -> Vec<usize> {
    let mut waiting: Vec<usize> = upstream.iter().map(Vec::len).collect();
    let mut downstream: Vec<Vec<usize>> = vec![Vec::new(); upstream.len()];
    for (task, ups) in upstream.iter().enumerate() {
        for &up in ups {
            downstream[up].push(task);
        }
    }
    let mut ready: VecDeque<usize> = (0..upstream.len()).filter(|&t| waiting[t] == 0).collect();
    let mut order = Vec::with_capacity(upstream.len());
    while let Some(task) = ready.pop_front() {
        order.push(task);
        for &next in &downstream[task] {
            waiting[next] -= 1;
            if waiting[next] == 0 {
                ready.push_back(next);
            }
        }
    }
    let placed: BTreeSet<usize> = order.iter().copied().collect();
    order.extend((0..upstream.len()).filter(|t| !placed.contains(t)));
    order
}

/// Cuts a connected group (in dependency order) into parts at level boundaries.
fn by_levels(upstream: &[Vec<usize>], members: &[usize], size: usize) -> Vec<Vec<usize>> {
    let mut level: BTreeMap<usize, usize> = BTreeMap::new();
    let mut levels: Vec<Vec<usize>> = Vec::new();
    for &task in members {
        let depth = upstream[task].iter().filter_map(|up| level.get(up)).map(|d| d + 1).max().unwrap_or(0);
        level.insert(task, depth);
        if levels.len() <= depth {
            levels.resize_with(depth + 1, Vec::new);
        }
        levels[depth].push(task);
    }
    let mut parts: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for tasks in levels {
        if current.len() + tasks.len() <= size {
            current.extend(tasks);
            continue;
        }
        if !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        // A level larger than a part fills parts of its own; its last, partly filled part
        // takes the next levels while they fit.
        let mut chunks: Vec<Vec<usize>> = tasks.chunks(size).map(<[usize]>::to_vec).collect();
        current = chunks.pop().unwrap_or_default();
        parts.extend(chunks);
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// Splits tasks (each given by its upstream tasks' indexes) into parts of at most `size`.
pub fn split(upstream: &[Vec<usize>], size: usize) -> Vec<Part> {
    let size = size.max(1);
    let mut parent: Vec<usize> = (0..upstream.len()).collect();
    for (task, ups) in upstream.iter().enumerate() {
        for &up in ups.iter().filter(|&&up| up < upstream.len()) {
            let (a, b) = (root(&mut parent, task), root(&mut parent, up));
            // The smaller index is the root: a group is named by its first task.
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for task in dependency_order(upstream) {
        groups.entry(root(&mut parent, task)).or_default().push(task);
    }
    let mut parts: Vec<Part> = Vec::new();
    let mut open: Option<usize> = None;
    for members in groups.into_values() {
        if members.len() > size {
            parts
                .extend(by_levels(upstream, &members, size).into_iter().map(|tasks| Part { tasks, after: Vec::new() }));
            continue;
        }
        match open {
            Some(part) if parts[part].tasks.len() + members.len() <= size => parts[part].tasks.extend(members),
            _ => {
                open = Some(parts.len());
                parts.push(Part { tasks: members, after: Vec::new() });
            }
        }
    }
    let mut part_of = vec![0; upstream.len()];
    for (index, part) in parts.iter().enumerate() {
        for &task in &part.tasks {
            part_of[task] = index;
        }
    }
    for (index, part) in parts.iter_mut().enumerate() {
        let after: BTreeSet<usize> = part
            .tasks
            .iter()
            .flat_map(|&task| upstream[task].iter().filter_map(|&up| part_of.get(up).copied()))
            .filter(|&other| other != index)
            .collect();
        part.after = after.into_iter().collect();
    }
    parts
}

#[cfg(test)]
#[path = "parts_tests.rs"]
mod tests;
