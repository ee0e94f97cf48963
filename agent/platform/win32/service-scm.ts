import type * as Koffi from 'koffi';
import { loadNative } from '../../../common/native.js';

/*
 * The service's side of the service control manager (advapi32), through koffi: Node has no binding
 * for it. StartServiceCtrlDispatcherW blocks its thread until the service has stopped, so it runs as
 * a koffi `.async` call (on a worker thread), keeping the event loop free. The SCM then calls
 * ServiceMain on a thread of its own and the control handler on the dispatcher's thread; koffi
 * queues both to the JS thread and holds the native thread until the JS callback returns, so each
 * callback returns at once and the agent's start and drain go on in the event loop.
 */

const SERVICE_WIN32_OWN_PROCESS = 0x10;
const STOPPED = 1;
const START_PENDING = 2;
const STOP_PENDING = 3;
const RUNNING = 4;
const ACCEPT_STOP = 0x1;
const ACCEPT_SHUTDOWN = 0x4;
const CONTROL_STOP = 1;
const CONTROL_INTERROGATE = 4;
const CONTROL_SHUTDOWN = 5;
const NO_ERROR = 0;
const ERROR_CALL_NOT_IMPLEMENTED = 120;
const ERROR_SERVICE_SPECIFIC_ERROR = 1066;

/** What the service does: start the agent, and drain it when the SCM says stop (as SIGTERM does). */
export interface ServiceBody {
  /** Resolves once the agent runs; rejects when it cannot start (the service then stops with an error). */
  start(): Promise<void>;
  /** Drains and stops the agent. */
  stop(reason: 'stop' | 'shutdown'): Promise<void>;
}

/** How the dispatcher ended: `not_a_service` when the process was not started by the SCM (run from a console). */
export type DispatchOutcome = 'stopped' | 'failed' | 'not_a_service';

interface Advapi {
  koffi: typeof Koffi;
  startDispatcher: ReturnType<Koffi.LibraryHandle['func']>;
  registerHandler: ReturnType<Koffi.LibraryHandle['func']>;
  setStatus: ReturnType<Koffi.LibraryHandle['func']>;
  serviceMainType: Koffi.TypeObject;
  handlerType: Koffi.TypeObject;
}

function bind(): Advapi {
  const mod = loadNative<typeof Koffi & { default?: typeof Koffi }>('koffi');
  const koffi = mod.default ?? mod;
  const advapi32 = koffi.load('advapi32.dll');
  const status = koffi.struct('CW_SERVICE_STATUS', {
    dwServiceType: 'uint32_t',
    dwCurrentState: 'uint32_t',
    dwControlsAccepted: 'uint32_t',
    dwWin32ExitCode: 'uint32_t',
    dwServiceSpecificExitCode: 'uint32_t',
    dwCheckPoint: 'uint32_t',
    dwWaitHint: 'uint32_t',
  });
  const serviceMain = koffi.proto('void __stdcall CwServiceMain(uint32_t argc, void *argv)');
  const handler = koffi.proto('uint32_t __stdcall CwServiceHandlerEx(uint32_t control, uint32_t eventType, void *eventData, void *context)');
  const entry = koffi.struct('CW_SERVICE_TABLE_ENTRYW', { lpServiceName: 'const char16_t *', lpServiceProc: koffi.pointer(serviceMain) });
  return {
    koffi,
    startDispatcher: advapi32.func('__stdcall', 'StartServiceCtrlDispatcherW', 'bool', [koffi.pointer(entry)]),
    registerHandler: advapi32.func('__stdcall', 'RegisterServiceCtrlHandlerExW', 'void *', ['const char16_t *', koffi.pointer(handler), 'void *']),
    setStatus: advapi32.func('__stdcall', 'SetServiceStatus', 'bool', ['void *', koffi.pointer(status)]),
    serviceMainType: koffi.pointer(serviceMain),
    handlerType: koffi.pointer(handler),
  };
}

/**
 * Runs `body` as the Windows service `name`: START_PENDING, then RUNNING once `start` resolves; on
 * SERVICE_CONTROL_STOP or _SHUTDOWN, STOP_PENDING while `stop` drains, then STOPPED. A failed start
 * or drain ends STOPPED with a service-specific error, which the failure actions count as a crash.
 * Resolves when the SCM has let go of the process.
 */
export function runAsService(name: string, body: ServiceBody, onError: (what: string, err: unknown) => void): Promise<DispatchOutcome> {
  const api = bind();
  const { koffi } = api;
  let handle: unknown = null;
  let checkPoint = 0;
  let failed = false;
  let stopping = false;

  const report = (state: number, extra: { accept?: number; waitHintMs?: number; error?: boolean } = {}): void => {
    if (handle === null) return;
    const pending = state === START_PENDING || state === STOP_PENDING;
    api.setStatus(handle, {
      dwServiceType: SERVICE_WIN32_OWN_PROCESS,
      dwCurrentState: state,
      dwControlsAccepted: extra.accept ?? 0,
      dwWin32ExitCode: extra.error ? ERROR_SERVICE_SPECIFIC_ERROR : NO_ERROR,
      dwServiceSpecificExitCode: extra.error ? 1 : 0,
      dwCheckPoint: pending ? ++checkPoint : 0,
      dwWaitHint: extra.waitHintMs ?? 0,
    });
  };

  const stop = (reason: 'stop' | 'shutdown'): void => {
    if (stopping) return;
    stopping = true;
    report(STOP_PENDING, { waitHintMs: 30_000 });
    body.stop(reason).then(
      () => report(STOPPED, { error: failed }),
      (err: unknown) => {
        onError('stopping the agent failed', err);
        report(STOPPED, { error: true });
      },
    );
  };

  const handler = koffi.register((control: number): number => {
    if (control === CONTROL_STOP || control === CONTROL_SHUTDOWN) {
      // Answered now; the drain goes on in the event loop and ends with STOPPED.
      setImmediate(() => stop(control === CONTROL_SHUTDOWN ? 'shutdown' : 'stop'));
      return NO_ERROR;
    }
    return control === CONTROL_INTERROGATE ? NO_ERROR : ERROR_CALL_NOT_IMPLEMENTED;
  }, api.handlerType);

  const serviceMain = koffi.register((): void => {
    handle = api.registerHandler(name, handler, null);
    if (!handle) {
      onError('RegisterServiceCtrlHandlerExW failed', undefined);
      return;
    }
    report(START_PENDING, { waitHintMs: 30_000 });
    body.start().then(
      () => {
        if (!stopping) report(RUNNING, { accept: ACCEPT_STOP | ACCEPT_SHUTDOWN });
      },
      (err: unknown) => {
        onError('the agent could not start', err);
        failed = true;
        stopping = true;
        report(STOPPED, { error: true });
      },
    );
  }, api.serviceMainType);

  return new Promise<DispatchOutcome>((resolve) => {
    const table = [
      { lpServiceName: name, lpServiceProc: serviceMain },
      { lpServiceName: null, lpServiceProc: null },
    ];
    api.startDispatcher.async(table, (err: unknown, ok: boolean) => {
      koffi.unregister(serviceMain);
      koffi.unregister(handler);
      if (err) onError('StartServiceCtrlDispatcherW failed', err);
      // It fails at once (ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) in a process the SCM did not start.
      resolve(err || !ok ? (handle === null ? 'not_a_service' : 'failed') : failed ? 'failed' : 'stopped');
    });
  });
}
