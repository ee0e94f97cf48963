/** Display names of provinces, for pages and messages (ids are what tokens and labels carry). */

/** The 34 provinces and cities since 1 July 2025. */
export const PROVINCES = [
  ['ha-noi', 'Hà Nội'], ['hue', 'Huế'], ['lai-chau', 'Lai Châu'], ['dien-bien', 'Điện Biên'], ['son-la', 'Sơn La'],
  ['lang-son', 'Lạng Sơn'], ['quang-ninh', 'Quảng Ninh'], ['thanh-hoa', 'Thanh Hóa'], ['nghe-an', 'Nghệ An'], ['ha-tinh', 'Hà Tĩnh'],
  ['cao-bang', 'Cao Bằng'], ['tuyen-quang', 'Tuyên Quang'], ['lao-cai', 'Lào Cai'], ['thai-nguyen', 'Thái Nguyên'], ['phu-tho', 'Phú Thọ'],
  ['bac-ninh', 'Bắc Ninh'], ['hung-yen', 'Hưng Yên'], ['hai-phong', 'Hải Phòng'], ['ninh-binh', 'Ninh Bình'], ['quang-tri', 'Quảng Trị'],
  ['da-nang', 'Đà Nẵng'], ['quang-ngai', 'Quảng Ngãi'], ['gia-lai', 'Gia Lai'], ['khanh-hoa', 'Khánh Hòa'], ['lam-dong', 'Lâm Đồng'],
  ['dak-lak', 'Đắk Lắk'], ['ho-chi-minh', 'TP. Hồ Chí Minh'], ['dong-nai', 'Đồng Nai'], ['tay-ninh', 'Tây Ninh'], ['can-tho', 'Cần Thơ'],
  ['vinh-long', 'Vĩnh Long'], ['dong-thap', 'Đồng Tháp'], ['ca-mau', 'Cà Mau'], ['an-giang', 'An Giang'],
] as const;

const NAMES = new Map<string, string>(PROVINCES);

/** The display name of a province id; the id itself when it is not one of the 34. */
export function provinceName(id: string): string {
  return NAMES.get(id) ?? id;
}
