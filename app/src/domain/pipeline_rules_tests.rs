use proptest::prelude::*;

use super::*;
use crate::model::{Position, TaskResources};

fn fields(name: &str) -> PipelineFields {
    serde_json::from_value(serde_json::json!({ "name": name })).unwrap()
}

fn task(name: &str) -> TaskFields {
    serde_json::from_value(serde_json::json!({ "name": name })).unwrap()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn pipeline_fields_are_checked_and_canonical() {
    let mut f = fields("  train-daily ");
    f.global_env = " A = 1 \n\nB=2".into();
    f.alerts.statuses = vec![crate::model::RunStatus::Failed, crate::model::RunStatus::Failed];
    let out = check_pipeline_fields(&f).unwrap();
    assert_eq!(out.name, "train-daily");
    assert_eq!(out.global_env, "A=1\nB=2");
    assert_eq!(out.alerts.statuses.len(), 1);

    let mut bad = fields("Bad_Name");
    bad.parallelism = 0;
    bad.schedule.kind = ScheduleKind::Cron;
    bad.alerts.users = vec!["ok-user".into(), "No Way".into()];
    bad.expand.img = Some("javascript:alert(1)".into());
    let errors = check_pipeline_fields(&bad).unwrap_err();
    let named: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(named, ["name", "parallelism", "schedule.cron", "alerts.users[1]", "expand.img"]);
}

#[test]
fn a_bad_cron_expression_is_named() {
    let mut f = fields("nightly");
    f.schedule.kind = ScheduleKind::Cron;
    f.schedule.cron = "61 * * * *".into();
    let errors = check_pipeline_fields(&f).unwrap_err();
    assert_eq!(errors[0].field, "schedule.cron");
    f.schedule.cron = "0 3 * * 1-5".into();
    assert!(check_pipeline_fields(&f).is_ok());
}

#[test]
fn task_fields_get_canonical_resources_and_a_label() {
    let mut t = task("train");
    t.resources = TaskResources { cpu: "0.50".into(), memory: "4096m".into(), gpu: "1(v100)".into() };
    let out = check_task_fields("tasks[0]", &t).unwrap();
    assert_eq!(out.label, "train");
    assert_eq!(out.resources.cpu, "0.5");
    assert_eq!(out.resources.gpu, "1(V100)");

    t.resources.memory = "lots".into();
    t.workdir = "relative".into();
    t.timeout = MAX_TIMEOUT_SECS + 1;
    let errors = check_task_fields("tasks[2]", &t).unwrap_err();
    let named: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(named, ["tasks[2].workdir", "tasks[2].resources.memory", "tasks[2].timeout"]);
    assert_eq!(check_task_fields("", &task("-x")).unwrap_err()[0].field, "name");
    for climbing in ["/mnt/../../etc", "/proc/1", "/work/./x"] {
        let mut t = task("ok");
        t.workdir = climbing.into();
        assert_eq!(check_task_fields("tasks[0]", &t).unwrap_err()[0].field, "tasks[0].workdir", "{climbing}");
    }
}

#[test]
fn mounts_merge_project_then_template_then_task() {
    let project = crate::domain::mounts::parse_mounts("team(pvc):/mnt").unwrap();
    let merged = effective_mounts(&project, "other(pvc):/mnt,cfg(configmap):/etc/cfg", "data(pvc):/data");
    assert_eq!(merged, "team(pvc):/mnt,cfg(configmap):/etc/cfg,data(pvc):/data");
}

#[test]
fn dag_check_completes_and_names_faults() {
    let tasks = names(&["a", "b", "c"]);
    let dag: Dag = [("b".to_owned(), names(&["a"]))].into();
    let full = check_dag(&dag, &tasks).unwrap();
    assert_eq!(full.len(), 3);
    assert_eq!(full["c"], Vec::<String>::new());

    let unknown: Dag = [("b".to_owned(), names(&["z"]))].into();
    assert!(check_dag(&unknown, &tasks).unwrap_err().contains("'z'"));
    let stray: Dag = [("zz".to_owned(), vec![])].into();
    assert!(check_dag(&stray, &tasks).unwrap_err().contains("'zz'"));
    let cycle: Dag =
        [("a".to_owned(), names(&["c"])), ("b".to_owned(), names(&["a"])), ("c".to_owned(), names(&["b"]))].into();
    let message = check_dag(&cycle, &tasks).unwrap_err();
    assert!(message.contains("cycle") && message.contains('a') && message.contains('c'), "{message}");
    let twice: Dag = [("b".to_owned(), names(&["a", "a"]))].into();
    assert!(check_dag(&twice, &tasks).unwrap_err().contains("twice"));
}

#[test]
fn rename_and_remove_keep_dag_and_layout_consistent() {
    let mut f = fields("p");
    f.dag = [("b".to_owned(), names(&["a"])), ("c".to_owned(), names(&["a", "b"]))].into();
    f.expand.layout.insert("a".into(), Position { x: 1.0, y: 2.0 });
    rename_task(&mut f, "a", "start");
    assert_eq!(f.dag["b"], names(&["start"]));
    assert_eq!(f.dag["c"], names(&["start", "b"]));
    assert_eq!(f.expand.layout["start"], Position { x: 1.0, y: 2.0 });
    assert!(check_dag(&f.dag, &names(&["start", "b", "c"])).is_ok());
    remove_task(&mut f, "b");
    assert!(!f.dag.contains_key("b"));
    assert_eq!(f.dag["c"], names(&["start"]));
}

#[test]
fn duplicate_names_point_at_the_later_task() {
    let errors = duplicate_task_names(&names(&["a", "b", "a"]));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "tasks[2].name");
}

fn random_dag() -> impl Strategy<Value = (Vec<String>, Vec<(usize, usize)>)> {
    (2usize..12).prop_flat_map(|n| {
        let tasks: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
        (Just(tasks), proptest::collection::vec((0..n, 0..n), 0..20))
    })
}

proptest! {
    /// Renaming any task of a valid DAG keeps it valid, and under the new name.
    #[test]
    fn rename_preserves_validity((tasks, pairs) in random_dag(), pick in 0usize..12) {
        let edges: Vec<Edge> = pairs.iter().filter(|(a, b)| a < b)
            .map(|(a, b)| Edge::new(tasks[*a].clone(), tasks[*b].clone()))
            .collect::<HashSet<_>>().into_iter().collect();
        let mut f = fields("p");
        f.dag = dag_from_edges(&tasks, &edges);
        prop_assert!(check_dag(&f.dag, &tasks).is_ok());
        let old = tasks[pick % tasks.len()].clone();
        rename_task(&mut f, &old, "renamed");
        let renamed: Vec<String> = tasks.iter().map(|t| if *t == old { "renamed".into() } else { t.clone() }).collect();
        let checked = check_dag(&f.dag, &renamed);
        prop_assert!(checked.is_ok());
        prop_assert_eq!(dag_edges(&f.dag).len(), edges.len());
    }
}
