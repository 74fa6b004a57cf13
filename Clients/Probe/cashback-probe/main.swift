import Foundation
import ProbeKit

// `cashback-probe`: the operators' tool. All logic lives in ProbeKit, where tests run it.
let arguments = Array(CommandLine.arguments.dropFirst())
let result = await Probe.run(arguments) {
    Array(FileHandle.standardInput.readDataToEndOfFile())
}
FileHandle.standardOutput.write(Data(result.standardOutput))
FileHandle.standardError.write(Data(result.standardError.utf8))
exit(result.exitCode)
