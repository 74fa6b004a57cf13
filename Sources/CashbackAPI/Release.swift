/// The release of the Cashback API and its programs, as `cashbackd --version` and
/// `cashback-probe --version` print it.
public enum CashbackRelease {
    /// Semantic versioning: the minor number grows with each issue that lands.
    public static let version = "0.5.0"
}
