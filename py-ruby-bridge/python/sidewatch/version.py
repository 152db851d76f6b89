VERSION = '0.1.0'
SDK_NAME = 'sidewatch-python'
