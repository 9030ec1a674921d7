//! Pipeline DAGs: tasks and `upstream → downstream` edges. Every save is validated (no
//! unknown task, no self-loop, no duplicate edge, no cycle) and errors name the tasks at
//! fault; the editor refuses a cycle-making edge before it is drawn.

use std::collections::{HashMap, VecDeque};
use std::fmt;

/// An edge: `from` must finish before `to` starts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
}

impl Edge {
    pub fn new(from: impl Into<String>, to: impl Into<String>) -> Self {
        Self { from: from.into(), to: to.into() }
    }
}

/// Why a DAG is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DagError {
    UnknownTask {
        edge: Edge,
        task: String,
    },
    SelfLoop {
        task: String,
    },
    DuplicateEdge {
        edge: Edge,
    },
    /// The tasks of one cycle, in order, the first repeated at the end.
    Cycle {
        path: Vec<String>,
    },
}

impl fmt::Display for DagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownTask { edge, task } => {
                write!(f, "the edge {} → {} names the unknown task '{task}'", edge.from, edge.to)
            }
            Self::SelfLoop { task } => write!(f, "task '{task}' cannot depend on itself"),
            Self::DuplicateEdge { edge } => write!(f, "the edge {} → {} appears twice", edge.from, edge.to),
            Self::Cycle { path } => write!(f, "the tasks form a cycle: {}", path.join(" → ")),
        }
    }
}

/// Checks the DAG and returns the tasks in a dependency order (ties keep the input order).
pub fn topological_order(tasks: &[String], edges: &[Edge]) -> Result<Vec<String>, DagError> {
    let index: HashMap<&str, usize> = tasks.iter().enumerate().map(|(i, t)| (t.as_str(), i)).collect();
    let mut downstream: Vec<Vec<usize>> = vec![Vec::new(); tasks.len()];
    let mut upstream: Vec<Vec<usize>> = vec![Vec::new(); tasks.len()];
    let mut indegree = vec![0usize; tasks.len()];
    let mut seen: std::collections::HashSet<(usize, usize)> = std::collections::HashSet::new();
    for edge in edges {
        let lookup = |task: &String| {
            index
                .get(task.as_str())
                .copied()
                .ok_or_else(|| DagError::UnknownTask { edge: edge.clone(), task: task.clone() })
        };
        let (a, b) = (lookup(&edge.from)?, lookup(&edge.to)?);
        if a == b {
            return Err(DagError::SelfLoop { task: edge.from.clone() });
        }
        if !seen.insert((a, b)) {
            return Err(DagError::DuplicateEdge { edge: edge.clone() });
        }
        downstream[a].push(b);
        upstream[b].push(a);
        indegree[b] += 1;
    }
    let mut ready: VecDeque<usize> = (0..tasks.len()).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(tasks.len());
    while let Some(i) = ready.pop_front() {
        order.push(i);
        for &d in &downstream[i] {
            indegree[d] -= 1;
            if indegree[d] == 0 {
                ready.push_back(d);
            }
        }
    }
    if order.len() < tasks.len() {
        return Err(DagError::Cycle { path: find_cycle(tasks, &upstream, &indegree) });
    }
    Ok(order.into_iter().map(|i| tasks[i].clone()).collect())
}

/// A cycle among the tasks Kahn's algorithm could not place. Each of them still has an
/// unplaced upstream task, so walking upstream must come back to a task already seen.
fn find_cycle(tasks: &[String], upstream: &[Vec<usize>], indegree: &[usize]) -> Vec<String> {
    let Some(start) = (0..tasks.len()).find(|&i| indegree[i] > 0) else { return Vec::new() };
    let mut position: HashMap<usize, usize> = HashMap::new();
    let mut walk = vec![start];
    let mut at = start;
    loop {
        position.insert(at, walk.len() - 1);
        let Some(&prev) = upstream[at].iter().find(|&&u| indegree[u] > 0) else { return Vec::new() };
        if let Some(&p) = position.get(&prev) {
            let mut cycle: Vec<String> = walk[p..].iter().rev().map(|&i| tasks[i].clone()).collect();
            cycle.insert(0, tasks[prev].clone());
            cycle.dedup();
            if cycle.first() != cycle.last() {
                cycle.push(tasks[prev].clone());
            }
            return cycle;
        }
        walk.push(prev);
        at = prev;
    }
}

/// Whether adding `from → to` would close a cycle (the canvas refuses such a connection).
pub fn would_create_cycle(edges: &[Edge], from: &str, to: &str) -> bool {
    if from == to {
        return true;
    }
    let mut stack = vec![to];
    let mut visited = std::collections::HashSet::new();
    while let Some(task) = stack.pop() {
        if task == from {
            return true;
        }
        if visited.insert(task) {
            stack.extend(edges.iter().filter(|e| e.from == task).map(|e| e.to.as_str()));
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("t{i}")).collect()
    }

    #[test]
    fn orders_and_names_the_fault() {
        let tasks = names(4);
        let edges = [Edge::new("t0", "t2"), Edge::new("t1", "t2"), Edge::new("t2", "t3")];
        assert_eq!(topological_order(&tasks, &edges).unwrap(), ["t0", "t1", "t2", "t3"]);
        let cyc = [Edge::new("t0", "t1"), Edge::new("t1", "t2"), Edge::new("t2", "t0")];
        match topological_order(&tasks, &cyc).unwrap_err() {
            DagError::Cycle { path } => {
                assert_eq!(path.first(), path.last());
                assert_eq!(path.len(), 4);
            }
            other => panic!("{other}"),
        }
        assert!(matches!(
            topological_order(&tasks, &[Edge::new("t0", "ghost")]),
            Err(DagError::UnknownTask { task, .. }) if task == "ghost"
        ));
        assert!(matches!(topological_order(&tasks, &[Edge::new("t1", "t1")]), Err(DagError::SelfLoop { .. })));
        let dup = [Edge::new("t0", "t1"), Edge::new("t0", "t1")];
        assert!(matches!(topological_order(&tasks, &dup), Err(DagError::DuplicateEdge { .. })));
        assert!(would_create_cycle(&edges, "t3", "t0"));
        assert!(!would_create_cycle(&edges, "t0", "t3"));
    }

    /// Random graphs: edges between random pairs of `n` tasks.
    fn graph() -> impl Strategy<Value = (usize, Vec<(usize, usize)>)> {
        (1usize..30).prop_flat_map(|n| (Just(n), proptest::collection::vec((0..n, 0..n), 0..60)))
    }

    /// Reference check: a graph is acyclic if repeatedly removing sinks empties it.
    fn acyclic_by_sink_removal(n: usize, edges: &[(usize, usize)]) -> bool {
        let mut alive = vec![true; n];
        loop {
            let sink = (0..n).find(|&i| alive[i] && !edges.iter().any(|&(a, b)| a == i && alive[b]));
            match sink {
                Some(i) => alive[i] = false,
                None => return alive.iter().all(|a| !a),
            }
        }
    }

    proptest! {
        #[test]
        fn agrees_with_a_reference_and_orders_every_edge((n, raw) in graph()) {
            let tasks = names(n);
            let mut pairs: Vec<(usize, usize)> = Vec::new();
            for (a, b) in raw {
                if a != b && !pairs.contains(&(a, b)) {
                    pairs.push((a, b));
                }
            }
            let edges: Vec<Edge> = pairs.iter().map(|&(a, b)| Edge::new(&tasks[a], &tasks[b])).collect();
            let result = topological_order(&tasks, &edges);
            prop_assert_eq!(result.is_ok(), acyclic_by_sink_removal(n, &pairs));
            match result {
                Ok(order) => {
                    prop_assert_eq!(order.len(), n);
                    let pos: HashMap<&String, usize> = order.iter().enumerate().map(|(i, t)| (t, i)).collect();
                    for e in &edges {
                        prop_assert!(pos[&e.from] < pos[&e.to]);
                        prop_assert!(would_create_cycle(&edges, &e.to, &e.from));
                    }
                }
                Err(DagError::Cycle { path }) => {
                    prop_assert!(path.len() >= 3);
                    for w in path.windows(2) {
                        prop_assert!(edges.contains(&Edge::new(&w[0], &w[1])), "{:?} is not an edge", w);
                    }
                }
                Err(other) => prop_assert!(false, "unexpected {}", other),
            }
        }
    }
}
