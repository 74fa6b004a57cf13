import Foundation
import ProbeKit

// `cashback-probe`: the operators' tool. All logic lives in ProbeKit, where tests run it.
let arguments = Array(CommandLine.arguments.dropFirst())
// Output is written as it is printed: a streaming call's messages appear as they arrive.
let result = await Probe.run(
    arguments, standardInput: { Array(FileHandle.standardInput.readDataToEndOfFile()) },
    writeOutput: { FileHandle.standardOutput.write(Data($0)) })
FileHandle.standardError.write(Data(result.standardError.utf8))
exit(result.exitCode)
