use proptest::prelude::*;

use super::*;

/// Random pipelines: each task may depend on a few earlier ones (so there is no cycle).
fn pipelines() -> impl Strategy<Value = Vec<Vec<usize>>> {
    (1usize..700).prop_flat_map(|tasks| {
        (0..tasks)
            .map(|task| {
                let earlier =
                    if task == 0 { Just(Vec::new()).boxed() } else { prop::collection::vec(0..task, 0..3).boxed() };
                prop_oneof![3 => Just(Vec::new()), 2 => earlier].boxed()
            })
            .collect::<Vec<_>>()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_task_runs_once_after_all_its_upstream_tasks(upstream in pipelines(), size in 1usize..250) {
        let parts = split(&upstream, size);
        let mut part_of = vec![None; upstream.len()];
        for (index, part) in parts.iter().enumerate() {
            prop_assert!(!part.tasks.is_empty() && part.tasks.len() <= size, "part {index} has {} tasks", part.tasks.len());
            prop_assert!(part.after.iter().all(|&earlier| earlier < index), "a part waits only for earlier parts");
            for (position, &task) in part.tasks.iter().enumerate() {
                prop_assert!(part_of[task].is_none(), "task {task} is in two parts");
                part_of[task] = Some((index, position));
            }
        }
        for (task, ups) in upstream.iter().enumerate() {
            let (part, position) = part_of[task].expect("every task is in a part");
            for &up in ups {
                let (up_part, up_position) = part_of[up].unwrap();
                if up_part == part {
                    prop_assert!(up_position < position, "inside a part, upstream tasks come first");
                } else {
                    prop_assert!(parts[part].after.contains(&up_part), "task {task}'s part waits for {up}'s");
                }
            }
        }
    }

    #[test]
    fn independent_tasks_fill_parts_and_wait_for_nothing(tasks in 1usize..2_000) {
        let parts = split(&vec![Vec::new(); tasks], PART_SIZE);
        prop_assert_eq!(parts.len(), tasks.div_ceil(PART_SIZE));
        prop_assert!(parts.iter().all(|p| p.after.is_empty()));
    }
}

#[test]
fn connected_tasks_stay_together_and_a_large_group_is_cut_in_order() {
    // Task 0 feeds 1..=5; 6 and 7 are a chain; 8 is alone.
    let mut upstream = vec![Vec::new(); 9];
    upstream[1..=5].fill(vec![0]);
    upstream[7] = vec![6];
    let parts = split(&upstream, 6);
    assert_eq!(parts[0].tasks, [0, 1, 2, 3, 4, 5]);
    assert_eq!(parts[1].tasks, [6, 7, 8], "the chain is not cut and the single task joins it");
    // A fan of 10 from one task, in parts of 4: the root alone, its dependents after it,
    // each part waiting only for the root's.
    let mut fan = vec![vec![0]; 11];
    fan[0] = Vec::new();
    let parts = split(&fan, 4);
    assert_eq!(parts.iter().map(|p| p.tasks.len()).collect::<Vec<_>>(), [1, 4, 4, 2]);
    assert!(parts[1..].iter().all(|p| p.after == [0]));
    // A chain of 10 in parts of 4: whole levels, each part after the one before.
    let chain: Vec<Vec<usize>> = (0..10).map(|i| if i == 0 { Vec::new() } else { vec![i - 1] }).collect();
    let parts = split(&chain, 4);
    assert_eq!(
        parts.iter().map(|p| p.tasks.clone()).collect::<Vec<_>>(),
        [vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]
    );
    assert_eq!((parts[1].after.clone(), parts[2].after.clone()), (vec![0], vec![1]));
}
