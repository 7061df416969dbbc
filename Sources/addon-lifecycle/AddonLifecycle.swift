import ArgumentParser

@main
struct AddonLifecycle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "addon-lifecycle",
        abstract: "Runs the lifecycle of telecom subscription add-ons: webhooks in, add-ons activated and expired on time.",
        discussion: """
            Configuration comes from the environment (DATABASE_URL, LOG_LEVEL, …) or the matching flags.
            With no DATABASE_URL, commands start a private PostgreSQL cluster under .addon-lifecycle/.
            """,
        subcommands: [RunCommand.self, ServeCommand.self, WorkCommand.self, DeliverCommand.self, MigrateCommand.self, ExportCommand.self, ReplayCommand.self, EventsCommand.self]
    )
}
