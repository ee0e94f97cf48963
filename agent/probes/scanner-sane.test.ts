import { describe, expect, it } from 'vitest';
import { matchSaneDevices, parseScanimageList } from './scanner-sane.js';

// Lines as scanimage 1.2 prints them; the test and net lines were captured here, the genesys and
// airscan ones are representative of a counter PC with a Canon LiDE and a network MFP.
const LISTING = `device \`genesys:libusb:001:004' is a Canon LiDE 200 flatbed scanner
device \`airscan:e0:Canon MF260 Series' is a eSCL Canon MF260 Series ip=192.168.1.40
device \`net:127.31.47.4:test:0' is a Noname frontend-tester virtual device
device \`test:0' is a Noname frontend-tester virtual device
device \`test:1' is a Noname frontend-tester virtual device
`;

const NONE = `
No scanners were identified. If you were expecting something different,
check that the scanner is plugged in, turned on and detected by the
sane-find-scanner tool (if appropriate). Please read the documentation
which came with this software (README, FAQ, manpages).
`;

describe('parseScanimageList', () => {
  it('reads device names, spaces included', () => {
    expect(parseScanimageList(LISTING)).toEqual(['genesys:libusb:001:004', 'airscan:e0:Canon MF260 Series', 'net:127.31.47.4:test:0', 'test:0', 'test:1']);
  });

  it('gives nothing for the no-scanner notice', () => {
    expect(parseScanimageList(NONE)).toEqual([]);
  });
});

describe('matchSaneDevices', () => {
  const names = parseScanimageList(LISTING);

  it('takes an exact name as is, regex characters included', () => {
    expect(matchSaneDevices(names, 'net:127.31.47.4:test:0')).toEqual(['net:127.31.47.4:test:0']);
  });

  it('matches a pattern against the whole name', () => {
    expect(matchSaneDevices(names, 'genesys:.*')).toEqual(['genesys:libusb:001:004']);
    expect(matchSaneDevices(names, 'test:\\d')).toEqual(['test:0', 'test:1']);
    expect(matchSaneDevices(names, 'test')).toEqual([]);
  });

  it('matches nothing for an invalid pattern that is not a name', () => {
    expect(matchSaneDevices(names, 'airscan:(')).toEqual([]);
  });
});
