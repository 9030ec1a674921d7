use super::*;
use crate::domain::pipeline_rules::check_dag;
use crate::model::Pipeline;

fn empty_graph() -> PipelineGraph {
    let pipeline: Pipeline = serde_json::from_value(serde_json::json!({
        "id": 1, "project": {"id": 1, "name": "public"}, "name": "p", "created_by": "ann",
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "editable": true
    }))
    .unwrap();
    PipelineGraph { pipeline, tasks: Vec::new() }
}

fn doc_with(n: usize) -> (Doc, Vec<u32>) {
    let mut doc = Doc::from_graph(&empty_graph());
    let keys = (0..n).map(|i| doc.add_task(7, "shell", Map::new(), Position { x: i as f64, y: 0.0 })).collect();
    (doc, keys)
}

#[test]
fn new_tasks_get_unique_names_and_defaults() {
    let mut doc = Doc::from_graph(&empty_graph());
    let defaults: Map<String, Value> = [("script".to_owned(), Value::from("echo"))].into_iter().collect();
    let a = doc.add_task(7, "shell", defaults.clone(), Position::default());
    let b = doc.add_task(7, "shell", defaults, Position::default());
    assert_eq!(doc.nodes[&a].fields.name, "shell");
    assert_eq!(doc.nodes[&b].fields.name, "shell-2");
    assert_eq!(doc.nodes[&b].fields.args["script"], "echo");
}

#[test]
fn connections_refuse_loops_duplicates_and_cycles() {
    let (mut doc, k) = doc_with(3);
    assert_eq!(doc.connect(k[0], k[0]), Err(ConnectError::SameTask));
    doc.connect(k[0], k[1]).unwrap();
    doc.connect(k[1], k[2]).unwrap();
    assert_eq!(doc.connect(k[0], k[1]), Err(ConnectError::AlreadyConnected));
    let Err(ConnectError::Cycle(path)) = doc.connect(k[2], k[0]) else { panic!("cycle accepted") };
    assert_eq!(path, ["shell-3", "shell", "shell-2", "shell-3"]);
    assert_eq!(doc.edges.len(), 2);
}

#[test]
fn delete_takes_edges_along_and_save_input_has_a_valid_dag() {
    let (mut doc, k) = doc_with(3);
    doc.connect(k[0], k[1]).unwrap();
    doc.connect(k[1], k[2]).unwrap();
    doc.delete(&HashSet::from([k[1]]));
    assert!(doc.edges.is_empty());
    doc.connect(k[0], k[2]).unwrap();
    let input = doc.to_input();
    let names: Vec<String> = input.tasks.iter().map(|t| t.fields.name.clone()).collect();
    assert_eq!(check_dag(&input.pipeline.fields.dag, &names).unwrap()["shell-3"], ["shell"]);
    assert_eq!(input.pipeline.fields.expand.layout.len(), 2);
}

#[test]
fn a_saved_graph_reloads_into_the_same_canvas() {
    let (mut doc, k) = doc_with(2);
    doc.connect(k[0], k[1]).unwrap();
    doc.move_by(&HashSet::from([k[1]]), 300.0, 40.0);
    let input = doc.to_input();
    let mut graph = empty_graph();
    graph.pipeline.fields = input.pipeline.fields.clone();
    graph.tasks = input
        .tasks
        .iter()
        .enumerate()
        .map(|(i, t)| crate::model::Task {
            id: TaskId(i as i64 + 10),
            pipeline_id: crate::model::PipelineId(1),
            template_id: t.template_id,
            template_name: "shell".into(),
            fields: t.fields.clone(),
            created_at: graph.pipeline.created_at,
            updated_at: graph.pipeline.created_at,
        })
        .collect();
    let reloaded = Doc::from_graph(&graph);
    assert_eq!(reloaded.edges, doc.edges);
    assert_eq!(reloaded.nodes[&k[1]].pos, Position { x: 301.0, y: 40.0 });
    doc.absorb_saved(&graph);
    assert_eq!(doc.nodes[&k[1]].id, Some(TaskId(11)));
}

#[test]
fn undo_and_redo_walk_the_history() {
    let (mut doc, k) = doc_with(1);
    let mut history = History::default();
    history.record(doc.clone());
    doc.move_by(&HashSet::from([k[0]]), 10.0, 0.0);
    assert!(history.undo(&mut doc));
    assert_eq!(doc.nodes[&k[0]].pos.x, 0.0);
    assert!(history.redo(&mut doc));
    assert_eq!(doc.nodes[&k[0]].pos.x, 10.0);
    assert!(!history.redo(&mut doc));
    history.record(doc.clone());
    assert!(!history.can_redo());
}

#[test]
fn auto_layout_separates_columns() {
    let (mut doc, k) = doc_with(3);
    doc.connect(k[0], k[1]).unwrap();
    doc.connect(k[0], k[2]).unwrap();
    doc.auto_layout();
    assert!(doc.nodes[&k[1]].pos.x > doc.nodes[&k[0]].pos.x);
    assert_eq!(doc.nodes[&k[1]].pos.x, doc.nodes[&k[2]].pos.x);
    assert_ne!(doc.nodes[&k[1]].pos.y, doc.nodes[&k[2]].pos.y);
}

#[test]
fn tasks_added_at_one_place_stay_apart() {
    let (mut doc, _) = doc_with(0);
    let at = Position { x: 100.0, y: 50.0 };
    for _ in 0..3 {
        let spot = doc.free_spot(at);
        doc.add_task(7, "shell", Map::new(), spot);
    }
    let mut spots: Vec<(f64, f64)> = doc.nodes.values().map(|n| (n.pos.x, n.pos.y)).collect();
    spots.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(spots, [(100.0, 50.0), (124.0, 74.0), (148.0, 98.0)]);
    assert_eq!(doc.free_spot(Position { x: 500.0, y: 0.0 }), Position { x: 500.0, y: 0.0 }, "a free place is kept");
    let (mut between, _) = doc_with(0);
    between.add_task(7, "shell", Map::new(), Position { x: 112.0, y: 62.0 });
    assert_eq!(between.free_spot(at), Position { x: 148.0, y: 98.0 }, "a task between two spots blocks both");
}
