//! Automatic layered layout of a pipeline DAG for the canvas: every task sits in the column
//! after its deepest upstream task, and tasks in a column are ordered by the average row of
//! their upstream tasks to keep edges short. Pure and fast (linear in tasks and edges after
//! sorting), so thousands of tasks lay out instantly.

use std::collections::HashMap;

use super::dag::{DagError, Edge, topological_order};

pub const NODE_WIDTH: f64 = 200.0;
pub const NODE_HEIGHT: f64 = 48.0;
pub const COLUMN_GAP: f64 = 80.0;
pub const ROW_GAP: f64 = 24.0;

/// A task's top-left corner on the canvas.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub task: String,
    pub x: f64,
    pub y: f64,
}

/// Lays out a valid DAG; an invalid one returns the same error validation would.
pub fn layered_layout(tasks: &[String], edges: &[Edge]) -> Result<Vec<Placed>, DagError> {
    let order = topological_order(tasks, edges)?;
    let mut upstream: HashMap<&str, Vec<&str>> = HashMap::new();
    for e in edges {
        upstream.entry(e.to.as_str()).or_default().push(e.from.as_str());
    }
    let mut layer: HashMap<&str, usize> = HashMap::new();
    for task in &order {
        let depth = upstream.get(task.as_str()).map_or(0, |ups| ups.iter().map(|u| layer[u] + 1).max().unwrap_or(0));
        layer.insert(task.as_str(), depth);
    }
    let columns = layer.values().copied().max().map_or(0, |m| m + 1);
    let mut by_column: Vec<Vec<&str>> = vec![Vec::new(); columns];
    for task in &order {
        by_column[layer[task.as_str()]].push(task.as_str());
    }
    let input_rank: HashMap<&str, usize> = tasks.iter().enumerate().map(|(i, t)| (t.as_str(), i)).collect();
    let mut row: HashMap<&str, usize> = HashMap::new();
    for column in &mut by_column {
        let key = |t: &&str| {
            let ups = upstream.get(*t).map(Vec::as_slice).unwrap_or_default();
            let rows: Vec<usize> = ups.iter().filter_map(|u| row.get(u).copied()).collect();
            let barycenter =
                if rows.is_empty() { f64::MAX } else { rows.iter().sum::<usize>() as f64 / rows.len() as f64 };
            (barycenter, input_rank[*t])
        };
        column.sort_by(|a, b| key(a).partial_cmp(&key(b)).unwrap_or(std::cmp::Ordering::Equal));
        for (i, task) in column.iter().enumerate() {
            row.insert(task, i);
        }
    }
    Ok(tasks
        .iter()
        .map(|t| Placed {
            task: t.clone(),
            x: layer[t.as_str()] as f64 * (NODE_WIDTH + COLUMN_GAP),
            y: row[t.as_str()] as f64 * (NODE_HEIGHT + ROW_GAP),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn columns_follow_dependencies() {
        let tasks: Vec<String> = ["load", "clean", "train", "eval", "report"].map(String::from).to_vec();
        let edges = [
            Edge::new("load", "clean"),
            Edge::new("clean", "train"),
            Edge::new("load", "eval"),
            Edge::new("train", "eval"),
        ];
        let placed = layered_layout(&tasks, &edges).unwrap();
        let x = |t: &str| placed.iter().find(|p| p.task == t).unwrap().x;
        assert_eq!(x("load"), 0.0);
        assert_eq!(x("eval"), 3.0 * (NODE_WIDTH + COLUMN_GAP));
        assert_eq!(x("report"), 0.0);
        assert!(layered_layout(&tasks, &[Edge::new("load", "load")]).is_err());
    }

    proptest! {
        #[test]
        fn no_overlaps_and_edges_point_right(n in 1usize..60, raw in proptest::collection::vec((0usize..60, 0usize..60), 0..120)) {
            let tasks: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
            let mut edges: Vec<Edge> = Vec::new();
            for (a, b) in raw {
                let (a, b) = (a % n, b % n);
                if a < b && !edges.contains(&Edge::new(&tasks[a], &tasks[b])) {
                    edges.push(Edge::new(&tasks[a], &tasks[b]));
                }
            }
            let placed = layered_layout(&tasks, &edges).unwrap();
            prop_assert_eq!(placed.len(), n);
            for (i, p) in placed.iter().enumerate() {
                for q in &placed[i + 1..] {
                    let apart = (p.x - q.x).abs() >= NODE_WIDTH || (p.y - q.y).abs() >= NODE_HEIGHT;
                    prop_assert!(apart, "{:?} overlaps {:?}", p, q);
                }
            }
            let at: HashMap<&str, &Placed> = placed.iter().map(|p| (p.task.as_str(), p)).collect();
            for e in &edges {
                prop_assert!(at[e.from.as_str()].x + NODE_WIDTH < at[e.to.as_str()].x);
            }
        }
    }
}
