import Lifecycle
/// Country codes accepted in `country` and `coverage.countries`: the 249 officially assigned
/// ISO 3166-1 alpha-2 codes, plus `XK` (Kosovo): user-assigned, but what telecom providers and
/// roaming agreements use. Other user-assigned or reserved codes (`UK`, `EU`, `ZZ`) are refused.
public enum CountryCodes: Sendable {
    /// The 249 officially assigned codes.
    public static let assigned: Set<String> = Set(list.split(separator: " ").map(String.init))

    /// Codes in use although not officially assigned.
    public static let userAssignedInUse: Set<String> = ["XK"]

    /// `assigned` ∪ `userAssignedInUse`.
    public static let accepted: Set<String> = assigned.union(userAssignedInUse)

    /// Exactly two uppercase ASCII letters that form an accepted code. Lowercase is refused, not
    /// normalized: coverage matching compares codes byte for byte, and the sender should learn
    /// to send the canonical form rather than have us guess.
    public static func isAccepted(_ code: String) -> Bool {
        var utf8 = code.utf8.makeIterator()
        guard let a = utf8.next(), let b = utf8.next(), utf8.next() == nil,
              (0x41...0x5A).contains(a), (0x41...0x5A).contains(b)
        else { return false }
        let bit = Int(a - 0x41) * 26 + Int(b - 0x41)
        return bitmap[bit >> 6] & (1 << UInt64(bit & 63)) != 0
    }

    /// 26 × 26 bits: one load and a mask per lookup on the ingest hot path.
    private static let bitmap: [UInt64] = {
        var words = [UInt64](repeating: 0, count: 11)
        for code in list.split(separator: " ") + userAssignedInUse.map({ Substring($0) }) {
            let u = Array(code.utf8)
            let bit = Int(u[0] - 0x41) * 26 + Int(u[1] - 0x41)
            words[bit >> 6] |= 1 << UInt64(bit & 63)
        }
        return words
    }()

    private static let list = """
        AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ \
        BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
        CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
        DE DJ DK DM DO DZ \
        EC EE EG EH ER ES ET \
        FI FJ FK FM FO FR \
        GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY \
        HK HM HN HR HT HU \
        ID IE IL IM IN IO IQ IR IS IT \
        JE JM JO JP \
        KE KG KH KI KM KN KP KR KW KY KZ \
        LA LB LC LI LK LR LS LT LU LV LY \
        MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
        NA NC NE NF NG NI NL NO NP NR NU NZ \
        OM \
        PA PE PF PG PH PK PL PM PN PR PS PT PW PY \
        QA \
        RE RO RS RU RW \
        SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
        TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ \
        UA UG UM US UY UZ \
        VA VC VE VG VI VN VU \
        WF WS \
        YE YT \
        ZA ZM ZW
        """
}
