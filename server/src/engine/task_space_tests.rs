use std::os::unix::fs::MetadataExt;

use app::domain::mounts::parse_mounts;

use super::*;

fn task(mounts: &str, workdir: Option<&str>) -> TaskPlan {
    TaskPlan {
        task_id: 1,
        name: "fit".into(),
        label: "fit".into(),
        image: "python".into(),
        argv: vec!["true".into()],
        workdir: workdir.map(String::from),
        env: Vec::new(),
        resources: app::model::TaskResources::default(),
        mounts: parse_mounts(mounts).expect("valid mounts"),
        mount_user: "ann".into(),
        node_selector: String::new(),
        pull_secrets: Vec::new(),
        privileged: false,
        service_account: None,
        retries: 0,
        timeout_secs: 0,
        skip: false,
        upstream: Vec::new(),
        labels: Default::default(),
    }
}

#[test]
fn mounts_appear_at_their_paths_and_the_work_folder_at_work() {
    let data = Path::new("/srv/cubist");
    let plan = task("ws(pvc):/mnt/data,team(pvc-share):/share,4G(memory):/dev/shm,/opt/models:/models", None);
    let space = of_task(data, "r1", &plan);
    assert_eq!(space.cwd, WORK);
    assert_eq!(space.host_cwd, data.join("runs/r1/work"));
    assert_eq!(
        space.entries,
        vec![
            Entry::Bind { host: data.join("runs/r1/work"), at: "/work".into(), writable: true },
            Entry::Bind { host: data.join("volumes/ws/ann"), at: "/mnt/data".into(), writable: true },
            Entry::Bind { host: data.join("volumes/team"), at: "/share".into(), writable: true },
            Entry::Tmpfs { at: "/dev/shm".into(), bytes: Some(4 << 30) },
            Entry::Bind { host: "/opt/models".into(), at: "/models".into(), writable: true },
        ]
    );
}

#[test]
fn a_working_directory_in_a_mount_is_that_folder_and_elsewhere_the_sandboxs_own() {
    let data = Path::new("/srv/cubist");
    let inside = of_task(data, "r1", &task("ws(pvc):/mnt", Some("/mnt/ann/project")));
    assert_eq!(inside.cwd, "/mnt/ann/project");
    assert_eq!(inside.host_cwd, data.join("volumes/ws/ann/ann/project"));
    assert!(inside.folders.contains(&Folder { base: data.join("volumes/ws/ann"), below: "ann/project".into() }));

    let outside = of_task(data, "r1", &task("", Some("/app")));
    assert_eq!(outside.cwd, "/app");
    assert_eq!(outside.entries.last(), Some(&Entry::Dir { at: "/app".into() }));
}

#[test]
fn folders_are_made_without_following_links_and_given_to_the_task_user() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = root.path().join("data");
    std::fs::create_dir(&data).expect("data dir");
    let outside = root.path().join("outside");
    std::fs::create_dir(&outside).expect("outside dir");
    let space = of_task(&data, "r1", &task("ws(pvc):/mnt", Some("/mnt/project")));
    prepare(&space, None).expect("folders made");
    assert!(data.join("runs/r1/work").is_dir());
    assert!(data.join("volumes/ws/ann/project").is_dir());

    // A task planted a link where the next task's folder goes: the server refuses it.
    std::fs::remove_dir(data.join("volumes/ws/ann/project")).expect("removed");
    std::os::unix::fs::symlink(&outside, data.join("volumes/ws/ann/project")).expect("link planted");
    let refused = prepare(&space, None).expect_err("a link is not a folder");
    assert!(refused.to_string().contains("is not a folder"), "{refused}");

    if nix::unistd::geteuid().is_root() {
        let owner = TaskUser { uid: 65534, gid: 65534 };
        std::fs::remove_file(data.join("volumes/ws/ann/project")).expect("link removed");
        prepare(&space, Some(owner)).expect("folders made");
        let meta = std::fs::metadata(data.join("volumes/ws/ann/project")).expect("made");
        assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
        assert_eq!(std::fs::metadata(&outside).expect("outside").uid(), 0, "the link's target is untouched");
        assert_eq!(std::fs::metadata(data.join("volumes/ws")).expect("passage").mode() & 0o777, 0o711);
    }
}
