/**
 * The one seam between the agent and the operating system it runs on. A probe that reads the OS (ping,
 * host, usb, printer queues, scanners) does not test `process.platform` itself: its OS-specific part
 * lives in agent/platform/<thing>.ts as one implementation per platform, picked here once.
 */
export const PLATFORM_NAMES = ['linux', 'win32'] as const;
export type PlatformName = (typeof PLATFORM_NAMES)[number];

/** How a platform is named in messages ("not supported on Windows"). */
export const PLATFORM_TITLES: Record<PlatformName, string> = { linux: 'Linux', win32: 'Windows' };

/** The platform this process runs on; every POSIX system the agent may meet reads as `linux`. */
export function platformName(): PlatformName {
  return process.platform === 'win32' ? 'win32' : 'linux';
}

/** Picks the implementation for `platform` (this process's by default). */
export function forPlatform<T>(impls: Record<PlatformName, T>, platform: PlatformName = platformName()): T {
  return impls[platform];
}
