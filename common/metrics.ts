/**
 * Every metric name centerwatch exports, in one place (DESIGN.md, "Metric names").
 * Base units, `_total` on counters, `_info` for strings carried in labels.
 */
export const METRIC = {
  // every probe
  probeSuccess: 'centerwatch_probe_success',
  probeDegraded: 'centerwatch_probe_degraded',
  probeDurationSeconds: 'centerwatch_probe_duration_seconds',
  probeReason: 'centerwatch_probe_reason',
  probePhaseSeconds: 'centerwatch_probe_phase_seconds',
  probeRunsTotal: 'centerwatch_probe_runs_total',
  probeSkippedTotal: 'centerwatch_probe_skipped_total',
  probeAbandonedTotal: 'centerwatch_probe_abandoned_total',
  checkInfo: 'centerwatch_check_info',
  // icmp
  icmpRttSeconds: 'centerwatch_icmp_rtt_seconds',
  icmpPacketsSentTotal: 'centerwatch_icmp_packets_sent_total',
  icmpPacketsReceivedTotal: 'centerwatch_icmp_packets_received_total',
  lineLossRatio: 'centerwatch_line_loss_ratio',
  lineJitterSeconds: 'centerwatch_line_jitter_seconds',
  lineRttSeconds: 'centerwatch_line_rtt_seconds',
  // http and tls
  httpStatusCode: 'centerwatch_http_status_code',
  httpRedirects: 'centerwatch_http_redirects',
  httpContentLengthBytes: 'centerwatch_http_content_length_bytes',
  tlsCertExpiryTimestampSeconds: 'centerwatch_tls_cert_expiry_timestamp_seconds',
  tlsCertDaysLeft: 'centerwatch_tls_cert_days_left',
  // dns
  dnsAnswers: 'centerwatch_dns_answers',
  // databases
  dbReplica: 'centerwatch_db_replica',
  dbReplicationLagSeconds: 'centerwatch_db_replication_lag_seconds',
  // peripherals, power, clock
  printerSupplyLevelRatio: 'centerwatch_printer_supply_level_ratio',
  printerQueuedJobs: 'centerwatch_printer_queued_jobs',
  printerOldestJobAgeSeconds: 'centerwatch_printer_oldest_job_age_seconds',
  printerLowSupplyRatio: 'centerwatch_printer_low_supply_ratio',
  scannerStateInfo: 'centerwatch_scanner_state_info',
  usbDevices: 'centerwatch_usb_devices',
  upsRuntimeSeconds: 'centerwatch_ups_runtime_seconds',
  upsBatteryChargeRatio: 'centerwatch_ups_battery_charge_ratio',
  upsLoadRatio: 'centerwatch_ups_load_ratio',
  upsOnBattery: 'centerwatch_ups_on_battery',
  clockOffsetSeconds: 'centerwatch_clock_offset_seconds',
  // routers, switches and access points (IF-MIB)
  routerInterfaceUp: 'centerwatch_router_interface_up',
  routerInterfaceSpeedBytesPerSecond: 'centerwatch_router_interface_speed_bytes_per_second',
  routerInterfaceReceiveBytesPerSecond: 'centerwatch_router_interface_receive_bytes_per_second',
  routerInterfaceTransmitBytesPerSecond: 'centerwatch_router_interface_transmit_bytes_per_second',
  routerInterfaceErrorsTotal: 'centerwatch_router_interface_errors_total',
  ntpRoundTripSeconds: 'centerwatch_ntp_round_trip_seconds',
  // host
  hostCpuUsageRatio: 'centerwatch_host_cpu_usage_ratio',
  hostMemoryUsedBytes: 'centerwatch_host_memory_used_bytes',
  hostMemoryTotalBytes: 'centerwatch_host_memory_total_bytes',
  hostMemoryUsedRatio: 'centerwatch_host_memory_used_ratio',
  hostFilesystemUsedRatio: 'centerwatch_host_filesystem_used_ratio',
  hostFilesystemFreeBytes: 'centerwatch_host_filesystem_free_bytes',
  hostUptimeSeconds: 'centerwatch_host_uptime_seconds',
  hostDefaultRouteInfo: 'centerwatch_host_default_route_info',
  hostDefaultRoutePresent: 'centerwatch_host_default_route_present',
  hostDefaultRouteChangesTotal: 'centerwatch_host_default_route_changes_total',
  // the agent itself
  agentInfo: 'centerwatch_agent_info',
  centerInfo: 'centerwatch_center_info',
  agentConfigLoadSuccess: 'centerwatch_agent_config_last_load_success',
  agentStartTimeSeconds: 'centerwatch_agent_start_time_seconds',
  // the agent's push client and WAL
  agentWalBytes: 'centerwatch_agent_wal_bytes',
  agentWalDroppedSamplesTotal: 'centerwatch_agent_wal_dropped_samples_total',
  agentWalOldestSampleAgeSeconds: 'centerwatch_agent_wal_oldest_sample_age_seconds',
  agentPushBacklogSamples: 'centerwatch_agent_push_backlog_samples',
  agentPushLastSuccessTimestampSeconds: 'centerwatch_agent_push_last_success_timestamp_seconds',
  agentPushSamplesTotal: 'centerwatch_agent_push_samples_total',
  agentPushFailuresTotal: 'centerwatch_agent_push_failures_total',
  agentPushResentSamplesTotal: 'centerwatch_agent_push_resent_samples_total',
  // the server's receiver, state and forwarding
  ingestSamplesTotal: 'centerwatch_ingest_samples_total',
  ingestRequestsTotal: 'centerwatch_ingest_requests_total',
  ingestRefusedTotal: 'centerwatch_ingest_refused_total',
  ingestSamplesRefusedTotal: 'centerwatch_ingest_samples_refused_total',
  serverSeries: 'centerwatch_server_series',
  serverAgents: 'centerwatch_server_agents',
  forwardWalBytes: 'centerwatch_forward_wal_bytes',
  forwardWalDroppedSamplesTotal: 'centerwatch_forward_wal_dropped_samples_total',
  forwardBacklogSamples: 'centerwatch_forward_backlog_samples',
  forwardLastSuccessTimestampSeconds: 'centerwatch_forward_last_success_timestamp_seconds',
  forwardSamplesTotal: 'centerwatch_forward_samples_total',
  forwardFailuresTotal: 'centerwatch_forward_failures_total',
  forwardResentSamplesTotal: 'centerwatch_forward_resent_samples_total',
  // the server's engine
  centerReadiness: 'centerwatch_center_readiness',
  alertsFiring: 'centerwatch_alerts_firing',
  notificationsTotal: 'centerwatch_notifications_total',
  engineEvaluationSeconds: 'centerwatch_engine_evaluation_seconds',
  // the server's view of which line each center's pushes come from
  centerLineInfo: 'centerwatch_center_line_info',
  centerLineSinceTimestampSeconds: 'centerwatch_center_line_since_timestamp_seconds',
  // the server's outside-in probes of each center's public addresses per line
  outsideInUp: 'centerwatch_outside_in_up',
  outsideInRttSeconds: 'centerwatch_outside_in_rtt_seconds',
  outsideInAddresses: 'centerwatch_outside_in_addresses',
  outsideInProbesTotal: 'centerwatch_outside_in_probes_total',
  outsideInSkippedTotal: 'centerwatch_outside_in_skipped_total',
  outsideInStartDelaySeconds: 'centerwatch_outside_in_start_delay_seconds',
  // the server's fleet view (enrolled agents)
  fleetAgentInfo: 'centerwatch_fleet_agent_info',
  fleetAgentConfigCurrent: 'centerwatch_fleet_agent_config_current',
  fleetAgentLastSeenTimestampSeconds: 'centerwatch_fleet_agent_last_seen_timestamp_seconds',
  fleetAgentBacklogSamples: 'centerwatch_fleet_agent_backlog_samples',
  fleetAgents: 'centerwatch_fleet_agents',
  processCpuSecondsTotal: 'process_cpu_seconds_total',
  processResidentMemoryBytes: 'process_resident_memory_bytes',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Labels every check series carries, before the check's own static labels. */
export const CHECK_LABELS = ['check', 'kind', 'line'] as const;

/** Label names a check's own `labels` may not use: they are set by the agent or the server. */
export const RESERVED_LABELS = new Set<string>([...CHECK_LABELS, 'province', 'center', 'agent', 'phase', 'reason', 'job', 'instance']);
