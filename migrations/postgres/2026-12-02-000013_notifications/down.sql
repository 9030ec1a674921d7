DROP TABLE notification_deliveries;
DROP TABLE notifications;
DROP TABLE run_events;
