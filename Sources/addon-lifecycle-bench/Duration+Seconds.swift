extension Duration {
    /// In seconds, for printing rates and times.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
