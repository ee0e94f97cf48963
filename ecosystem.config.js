// pm2: `npm start` runs this with pm2-runtime (in the foreground; Ctrl-C stops both).
// On a server: `npx pm2 start ecosystem.config.js && npx pm2 save`. Each app restarts on a crash with
// a growing delay, and on memory over its limit (a leak must not take the machine with it).
// Logs go to logs/ (rotate them with pm2-logrotate or logrotate's copytruncate). `time: false`:
// every line is a JSON object carrying its own `time`, a pm2 prefix would break one-object-per-line.
// For systemd instead of pm2, see deploy/systemd/.
export const apps = [
  {
    name: 'centerwatch-server',
    script: 'dist/centerwatch-server.mjs',
    args: ['--config', 'config/server.yaml'],
    interpreter: 'none',
    max_memory_restart: '512M',
    exp_backoff_restart_delay: 200,
    kill_timeout: 8000,
    out_file: 'logs/centerwatch-server.out.log',
    error_file: 'logs/centerwatch-server.log',
    merge_logs: true,
    time: false,
  },
  {
    name: 'centerwatch-agent',
    script: 'dist/centerwatch-agent.mjs',
    args: ['--config', 'config/default.yaml'],
    interpreter: 'none',
    max_memory_restart: '150M',
    exp_backoff_restart_delay: 200,
    // The agent drains its probes for up to 5 s on SIGTERM.
    kill_timeout: 8000,
    out_file: 'logs/centerwatch-agent.out.log',
    error_file: 'logs/centerwatch-agent.log',
    merge_logs: true,
    time: false,
  },
];
