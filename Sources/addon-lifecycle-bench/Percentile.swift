extension Array where Element: BinaryFloatingPoint {
    /// The value below which a fraction `p` of this sorted array lies (0 when empty).
    func percentile(_ p: Double) -> Element {
        isEmpty ? 0 : self[Swift.min(count - 1, Int(Double(count) * p))]
    }
}
