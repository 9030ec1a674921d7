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
            Entry::Bind { host: data.join("volumes/users/ws/ann"), at: "/mnt/data".into(), writable: true },
            Entry::Bind { host: data.join("volumes/shared/team"), at: "/share".into(), writable: true },
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
    assert_eq!(inside.host_cwd, data.join("volumes/users/ws/ann/ann/project"));
    let below = Folder { base: data.join("volumes/users/ws/ann"), below: "ann/project".into(), owned: 2 };
    assert!(inside.folders.contains(&below), "{:?}", inside.folders);

    let outside = of_task(data, "r1", &task("", Some("/app")));
    assert_eq!(outside.cwd, "/app");
    assert_eq!(outside.entries.last(), Some(&Entry::Dir { at: "/app".into() }));

    let host = of_task(data, "r1", &task("/srv/models:/models", Some("/models/v2")));
    assert!(host.folders.iter().all(|f| f.base.starts_with(data)), "nothing is made in a host path");

    let root = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(root.path().join("configmaps/settings")).expect("a config map");
    let read_only = of_task(root.path(), "r1", &task("settings(configmap):/conf", Some("/conf/sub")));
    assert!(
        read_only.folders.iter().all(|f| !f.base.starts_with(root.path().join("configmaps"))),
        "nothing is made inside a read-only mount: {:?}",
        read_only.folders
    );
}

#[test]
fn sharing_a_claim_never_shows_a_users_own_folder_of_it() {
    let data = Path::new("/srv/cubist");
    let mine = of_task(data, "r1", &task("ws(pvc):/mine", None));
    let shared = of_task(data, "r1", &task("ws(pvc-share):/shared", None));
    let (Some(Entry::Bind { host: mine, .. }), Some(Entry::Bind { host: shared, .. })) =
        (mine.entries.last(), shared.entries.last())
    else {
        panic!("both are binds");
    };
    assert!(!mine.starts_with(shared) && !shared.starts_with(mine), "{mine:?} and {shared:?} are apart");
}

#[test]
fn folders_are_made_without_following_links_and_given_to_the_task_user() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = root.path().join("data");
    std::fs::create_dir(&data).expect("data dir");
    let outside = root.path().join("outside");
    std::fs::create_dir(&outside).expect("outside dir");
    let space = of_task(&data, "r1", &task("ws(pvc):/mnt", Some("/mnt/project/deep")));
    prepare(&space, None).expect("folders made");
    let home = data.join("volumes/users/ws/ann");
    assert!(data.join("runs/r1/work").is_dir());
    assert!(home.join("project/deep").is_dir());

    // A task planted links where the next task's folders go, at the end or in the middle:
    // the server refuses them and follows neither.
    for planted in ["project/deep", "project"] {
        std::fs::remove_dir_all(home.join("project")).expect("removed");
        if planted == "project/deep" {
            std::fs::create_dir(home.join("project")).expect("parent");
        }
        std::os::unix::fs::symlink(&outside, home.join(planted)).expect("link planted");
        let refused = prepare(&space, None).expect_err("a link is not a folder");
        assert!(refused.to_string().contains("is not a folder"), "{planted}: {refused}");
        assert!(std::fs::read_dir(&outside).expect("outside").next().is_none(), "nothing made through the link");
        let _ = std::fs::remove_file(home.join(planted));
    }

    if nix::unistd::geteuid().is_root() {
        let owner = TaskUser { uid: 65534, gid: 65534 };
        let _ = std::fs::remove_dir_all(home.join("project"));
        prepare(&space, Some(owner)).expect("folders made");
        for folder in [home.clone(), home.join("project"), home.join("project/deep")] {
            let meta = std::fs::metadata(&folder).expect("made");
            assert_eq!((meta.uid(), meta.gid()), (65534, 65534), "{folder:?} is the task's");
        }
        assert_eq!(std::fs::metadata(&outside).expect("outside").uid(), 0, "the link's target is untouched");
        let passage = std::fs::metadata(data.join("volumes/users/ws")).expect("passage");
        assert_eq!((passage.uid(), passage.mode() & 0o777), (0, 0o711), "the server's passages");
    }
}
