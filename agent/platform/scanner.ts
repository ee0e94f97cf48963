import type { ProbeContext } from '../probes/types.js';
import { forPlatform, PLATFORM_TITLES, platformName, type PlatformName } from './index.js';
import { IMAGE_DEVICES_QUERY, queryPnp, type CimAnswer, type PnpEntity } from './win32/cim.js';
import { sharedPowerShell } from './win32/powershell-shared.js';

/*
 * Local scanners: SANE (`sane:` targets, scanimage) on Linux, WIA (`wia:` targets, the imaging
 * devices Windows has) on Windows. eSCL over the network works everywhere.
 */

export type LocalScannerScheme = 'sane' | 'wia';

const LOCAL_SCHEMES: Record<PlatformName, LocalScannerScheme> = { linux: 'sane', win32: 'wia' };

const WHY_NOT: Record<LocalScannerScheme, string> = {
  sane: 'SANE does not run on Windows: use wia:<device name or pattern> for a scanner on this PC, or its eSCL URL',
  wia: 'WIA exists only on Windows: use sane:<device> for a scanner here, or its eSCL URL',
};

/**
 * Why a local scanner scheme cannot be read on `platform` (this process's by default), said as
 * the runner says not_supported; undefined when it can.
 */
export function localScannerUnsupported(scheme: LocalScannerScheme, platform: PlatformName = platformName()): string | undefined {
  const why = localSchemeUnsupported(scheme, platform);
  return why === undefined ? undefined : `scanner on ${PLATFORM_TITLES[platform]}: ${why}`;
}

/** The same, in the words `unsupportedOn` returns (the runner and --check-config name the kind and platform). */
export function localSchemeUnsupported(scheme: LocalScannerScheme, platform: PlatformName): string | undefined {
  return LOCAL_SCHEMES[platform] === scheme ? undefined : WHY_NOT[scheme];
}

export type ImagingDeviceReader = (ctx: ProbeContext) => Promise<CimAnswer<PnpEntity[]>>;

/** Each platform's WIA device list (Linux never gets here: localScannerUnsupported stops it first). */
export const IMAGING_DEVICE_READERS: Record<PlatformName, ImagingDeviceReader> = {
  linux: () => Promise.resolve({ ok: false, reason: 'not_supported', message: WHY_NOT.wia }),
  win32: (ctx) => queryPnp(sharedPowerShell(ctx), IMAGE_DEVICES_QUERY, ctx.signal),
};

/** This platform's imaging devices. */
export const readImagingDevices: ImagingDeviceReader = forPlatform(IMAGING_DEVICE_READERS);
