/**
 * The 34 provinces and cities since 1 July 2025: the id that tokens, labels and configs carry, the
 * display name for pages and messages, and the official unit code of the national list
 * (the General Statistics Office's codes, as in vn-divisions-2025.csv; a config may give either).
 */
export const PROVINCES = [
  ['ha-noi', 'Hà Nội', '1'],
  ['hue', 'Huế', '46'],
  ['lai-chau', 'Lai Châu', '12'],
  ['dien-bien', 'Điện Biên', '11'],
  ['son-la', 'Sơn La', '14'],
  ['lang-son', 'Lạng Sơn', '20'],
  ['quang-ninh', 'Quảng Ninh', '22'],
  ['thanh-hoa', 'Thanh Hóa', '38'],
  ['nghe-an', 'Nghệ An', '40'],
  ['ha-tinh', 'Hà Tĩnh', '42'],
  ['cao-bang', 'Cao Bằng', '4'],
  ['tuyen-quang', 'Tuyên Quang', '8'],
  ['lao-cai', 'Lào Cai', '15'],
  ['thai-nguyen', 'Thái Nguyên', '19'],
  ['phu-tho', 'Phú Thọ', '25'],
  ['bac-ninh', 'Bắc Ninh', '24'],
  ['hung-yen', 'Hưng Yên', '33'],
  ['hai-phong', 'Hải Phòng', '31'],
  ['ninh-binh', 'Ninh Bình', '37'],
  ['quang-tri', 'Quảng Trị', '44'],
  ['da-nang', 'Đà Nẵng', '48'],
  ['quang-ngai', 'Quảng Ngãi', '51'],
  ['gia-lai', 'Gia Lai', '52'],
  ['khanh-hoa', 'Khánh Hòa', '56'],
  ['lam-dong', 'Lâm Đồng', '68'],
  ['dak-lak', 'Đắk Lắk', '66'],
  ['ho-chi-minh', 'TP. Hồ Chí Minh', '79'],
  ['dong-nai', 'Đồng Nai', '75'],
  ['tay-ninh', 'Tây Ninh', '80'],
  ['can-tho', 'Cần Thơ', '92'],
  ['vinh-long', 'Vĩnh Long', '86'],
  ['dong-thap', 'Đồng Tháp', '82'],
  ['ca-mau', 'Cà Mau', '96'],
  ['an-giang', 'An Giang', '91'],
] as const;

const NAMES = new Map<string, string>(PROVINCES.map(([id, name]) => [id, name]));
const BY_CODE = new Map<string, string>(PROVINCES.map(([id, , code]) => [code, id]));

/** The display name of a province id (or official code); the value itself when it is not one of the 34. */
export function provinceName(id: string): string {
  return NAMES.get(id) ?? NAMES.get(BY_CODE.get(id) ?? '') ?? id;
}

/** Whether a config's province is one of the 34, by id (`quang-ngai`) or official code (`51`). */
export function isProvince(value: string): boolean {
  return NAMES.has(value) || BY_CODE.has(value.replace(/^0+(?=\d)/, ''));
}

/** The error for a province that is not one of the 34, with the nearest id when one is close (a typo). */
export function provinceProblem(value: string): string | undefined {
  if (isProvince(value)) return undefined;
  const near = [...NAMES.keys()].map((id) => [id, editDistance(id, value)] as const).sort((a, b) => a[1] - b[1])[0]!;
  const hint = near[1] <= 2 && near[1] < value.length / 2 ? `did you mean "${near[0]}"? ` : '';
  return `unknown province "${value}": ${hint}use one of the 34 province ids (ha-noi, quang-ngai, …) or its official code (1, 51, …)`;
}

/** Levenshtein distance: small ids, so the plain table is cheap. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}
