import ArgumentParser
import FTPScope

extension TimelineSchema: ExpressibleByArgument {}
