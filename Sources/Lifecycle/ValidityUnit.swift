/// The calendar unit of an add-on's validity (`addon.validity.unit`).
public enum ValidityUnit: String, Sendable, Hashable, Codable, CaseIterable {
    case day, week, month, year
}
