//! Diesel table definitions, identical for SQLite and PostgreSQL (see `migrations/`).

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        nickname -> Text,
        email -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        active -> Bool,
        language -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
        login_count -> BigInt,
        external_id -> Nullable<Text>,
    }
}

diesel::table! {
    roles (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    permissions (id) {
        id -> BigInt,
        action -> Text,
        resource -> Text,
    }
}

diesel::table! {
    role_permissions (role_id, permission_id) {
        role_id -> BigInt,
        permission_id -> BigInt,
    }
}

diesel::table! {
    user_roles (user_id, role_id) {
        user_id -> BigInt,
        role_id -> BigInt,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        csrf_token -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        prefix -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    projects (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        description -> Text,
        expand -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sort_index -> BigInt,
    }
}

diesel::table! {
    project_members (project_id, user_id) {
        project_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        user_id -> Nullable<BigInt>,
        username -> Nullable<Text>,
        method -> Text,
        path -> Text,
        permission -> Nullable<Text>,
        status -> Integer,
        outcome -> Text,
        duration_ms -> BigInt,
        client_ip -> Nullable<Text>,
        changes -> Text,
    }
}

diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(user_roles -> roles (role_id));
diesel::joinable!(role_permissions -> roles (role_id));
diesel::joinable!(role_permissions -> permissions (permission_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(project_members -> projects (project_id));
diesel::joinable!(project_members -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    roles,
    permissions,
    role_permissions,
    user_roles,
    sessions,
    api_tokens,
    projects,
    project_members,
    audit_log,
    repositories,
    images,
    job_templates,
    pipelines,
    tasks,
    runs,
    run_tasks,
    schedule_records,
    run_events,
    notifications,
    notification_deliveries,
);

diesel::table! {
    registry_secret_syncs (id) {
        id -> BigInt,
        secret_name -> Text,
        cluster -> Text,
        repository_id -> Nullable<BigInt>,
        state -> Text,
        message -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    repositories (id) {
        id -> BigInt,
        name -> Text,
        server -> Text,
        username -> Text,
        password_enc -> Text,
        hubsecret -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    images (id) {
        id -> BigInt,
        name -> Text,
        repository_id -> Nullable<BigInt>,
        description -> Text,
        entrypoint -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    job_templates (id) {
        id -> BigInt,
        project_id -> BigInt,
        name -> Text,
        version -> Text,
        image_id -> BigInt,
        description -> Text,
        workdir -> Text,
        entrypoint -> Text,
        volume_mount -> Text,
        env -> Text,
        service_account -> Text,
        privileged -> Bool,
        host_aliases -> Text,
        args -> Text,
        demo -> Text,
        expand -> Text,
        sort_index -> BigInt,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    pipelines (id) {
        id -> BigInt,
        project_id -> BigInt,
        name -> Text,
        description -> Text,
        global_env -> Text,
        parallelism -> BigInt,
        schedule_kind -> Text,
        cron -> Text,
        catchup_start -> Nullable<Timestamp>,
        depends_on_past -> Bool,
        max_active_runs -> BigInt,
        keep_newest -> BigInt,
        alert_statuses -> Text,
        alert_users -> Text,
        dag -> Text,
        expand -> Text,
        is_demo -> Bool,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        schedule_timezone -> Text,
        schedule_paused -> Bool,
        schedule_cursor -> Nullable<Timestamp>,
    }
}

diesel::table! {
    tasks (id) {
        id -> BigInt,
        pipeline_id -> BigInt,
        name -> Text,
        label -> Text,
        template_id -> BigInt,
        args -> Text,
        workdir -> Text,
        command -> Text,
        volume_mount -> Text,
        cpu -> Text,
        memory -> Text,
        gpu -> Text,
        timeout_secs -> BigInt,
        retries -> BigInt,
        skip -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    runs (id) {
        id -> BigInt,
        run_id -> Text,
        pipeline_id -> BigInt,
        task_id -> Nullable<BigInt>,
        kind -> Text,
        status -> Text,
        runner_id -> Nullable<BigInt>,
        plan -> Text,
        dag -> Text,
        layout -> Text,
        message -> Text,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        cluster -> Text,
        namespace -> Text,
        execution_date -> Nullable<Timestamp>,
        cleared_at -> Nullable<Timestamp>,
        cleanup_after -> Nullable<Timestamp>,
    }
}

diesel::table! {
    schedule_records (id) {
        id -> BigInt,
        pipeline_id -> BigInt,
        execution_date -> Timestamp,
        state -> Text,
        reason -> Text,
        run_pk -> Nullable<BigInt>,
        by_hand -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    run_events (id) {
        id -> BigInt,
        run_pk -> BigInt,
        status -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        subject -> Text,
        body -> Text,
        link -> Text,
        source -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notification_deliveries (id) {
        id -> BigInt,
        notification_id -> Nullable<BigInt>,
        source -> Text,
        channel -> Text,
        target -> Text,
        subject -> Text,
        text -> Text,
        state -> Text,
        attempts -> BigInt,
        next_at -> Timestamp,
        last_error -> Text,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    background_jobs (name) {
        name -> Text,
        next_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_started_at -> Nullable<Timestamp>,
        last_finished_at -> Nullable<Timestamp>,
        last_error -> Text,
        failures -> BigInt,
        passes -> BigInt,
    }
}

diesel::table! {
    run_tasks (id) {
        id -> BigInt,
        run_pk -> BigInt,
        name -> Text,
        label -> Text,
        task_id -> BigInt,
        status -> Text,
        message -> Text,
        pid -> Nullable<BigInt>,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        attempts -> Text,
    }
}

diesel::joinable!(runs -> pipelines (pipeline_id));
diesel::joinable!(schedule_records -> pipelines (pipeline_id));
diesel::joinable!(schedule_records -> runs (run_pk));
diesel::joinable!(run_events -> runs (run_pk));
diesel::joinable!(notification_deliveries -> notifications (notification_id));
diesel::joinable!(run_tasks -> runs (run_pk));
diesel::joinable!(pipelines -> projects (project_id));
diesel::joinable!(tasks -> pipelines (pipeline_id));
diesel::joinable!(tasks -> job_templates (template_id));
diesel::joinable!(images -> repositories (repository_id));
diesel::joinable!(job_templates -> images (image_id));
diesel::joinable!(job_templates -> projects (project_id));
